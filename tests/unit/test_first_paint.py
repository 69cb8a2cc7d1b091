"""marketu_app/first_paint.css_first: the page's scripts wait for the stylesheet, then for the first frame."""

from marketu_app.first_paint import css_first

PAGE = ('<head><link rel="modulepreload" href="/assets/a-1.js"/><link href="/assets/s-1.css" rel="stylesheet"/>'
        '<link rel="modulepreload" href="/assets/b-2.js"/><title>x</title></head><body></body>')


def test_the_modulepreloads_come_after_the_stylesheet_and_after_the_first_frame():
    out = css_first(PAGE)
    assert '<link rel="modulepreload"' not in out
    sheet, loader = out.index('rel="stylesheet"'), out.index("<script>")
    assert sheet < loader < out.index("<title>")
    script = out[loader:out.index("</script>")]
    assert '"/assets/a-1.js","/assets/b-2.js"' in script
    # Added from a timer set in requestAnimationFrame: after the first frame is painted.
    assert script.index("requestAnimationFrame(") < script.index("setTimeout(") < script.index('"/assets/a-1.js"')


def test_a_page_without_scripts_or_stylesheet_stays_as_it_is():
    assert css_first("<head><title>x</title></head>") == "<head><title>x</title></head>"
