"""Draws the app icons in assets/ (run once by hand; needs Pillow: pip install pillow)."""

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent.parent / "assets"
ORANGE = (234, 88, 12)


def draw(size: int, maskable: bool) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0) if not maskable else ORANGE)
    d = ImageDraw.Draw(img)
    if not maskable:
        d.rounded_rectangle([0, 0, size - 1, size - 1], radius=size // 5, fill=ORANGE)
    # A bold "M" drawn as a polyline, inside the maskable safe zone (central 80%).
    pad = size * (0.28 if maskable else 0.2)
    left, right, top, bottom = pad, size - pad, pad, size - pad
    mid = size / 2
    width = int(size * 0.11)
    d.line([(left, bottom), (left, top), (mid, top + (bottom - top) * 0.55), (right, top), (right, bottom)],
           fill="white", width=width, joint="curve")
    return img


def main() -> None:
    for size in (192, 512):
        draw(size, False).save(ASSETS / f"icon-{size}.png")
        draw(size, True).save(ASSETS / f"icon-maskable-{size}.png")
    draw(180, True).convert("RGB").save(ASSETS / "apple-touch-icon.png")
    draw(48, False).save(ASSETS / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
