"""marketu_app/css_purge.py: only the selectors of Radix components nothing renders go."""

from marketu_app.css_purge import purge

CSS = ('@layer components{.rt-SliderRoot{color:red}.rt-Badge,.rt-SliderThumb:where(.a,.b){color:blue}'
       '@media (min-width:48em){.md\\:rt-r-size-3{x:1}.rt-SliderRoot .rt-Badge{y:2}}}'
       '@font-face{font-family:"a{b}";src:url(x)}.app .rt-Badge[data-x="}"]{z:3}.rt-r-gap-2{gap:1px}'
       '@keyframes k{from{opacity:0}to{opacity:1}}@layer a,b;')


def test_rules_of_components_that_nothing_renders_go_and_the_rest_stays():
    out = purge(CSS, 'className:"rt-Badge rt-r-size-2"')
    assert "rt-SliderRoot" not in out and "rt-SliderThumb" not in out
    assert "@layer components{.rt-Badge{color:blue}@media (min-width:48em){.md\\:rt-r-size-3{x:1}}}" in out
    assert '@font-face{font-family:"a{b}";src:url(x)}' in out
    assert '.app .rt-Badge[data-x="}"]{z:3}' in out and ".rt-r-gap-2{gap:1px}" in out
    assert "@keyframes k{from{opacity:0}to{opacity:1}}" in out and out.endswith("@layer a,b;")


def test_everything_stays_when_every_component_is_rendered():
    assert purge(CSS, "rt-SliderRoot rt-SliderThumb rt-Badge") == CSS


def test_wide_gamut_copies_of_the_tokens_go_and_their_srgb_values_stay():
    css = (':root{--red-9:#e5484d}@supports (color:color(display-p3 1 1 1)){@media (color-gamut:p3){'
           ':root{--red-9:color(display-p3 .83 .32 .32)}}}@layer t{@media (color-gamut:p3){.x{y:1}}.z{w:2}}'
           '@supports (display:grid){.g{display:grid}}')
    assert purge(css, "") == ':root{--red-9:#e5484d}@layer t{.z{w:2}}@supports (display:grid){.g{display:grid}}'
