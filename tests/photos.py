"""Photos as residents take them, made here (Pillow, the DejaVu fonts of the system): a printed
Vietnamese page shot by a phone, a colour ID card on a table, a screenshot PNG. Camera-like:
a soft lens blur, uneven light and sensor noise, so they compress as real photos do."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONTS = "/usr/share/fonts/truetype/dejavu/"
SERIF, SERIF_BOLD, SANS = (FONTS + "DejaVuSerif.ttf", FONTS + "DejaVuSerif-Bold.ttf",
                           FONTS + "DejaVuSans.ttf")
TITLE = "GIẤY CHỨNG SINH"
LINES = (
    "Họ và tên người mẹ: Nguyễn Thị Hằng, sinh năm 1990, dân tộc Kinh.",
    "Nơi thường trú: tổ 5, phố Chợ, phường Hòa Bình, tỉnh Phú Thọ.",
    "Số định danh cá nhân: 025190000123, cấp ngày 12 tháng 3 năm 2021.",
    "Đã sinh con vào lúc 8 giờ 15 phút, ngày 20 tháng 11 năm 2026,",
    "tại Bệnh viện Đa khoa tỉnh Phú Thọ. Giới tính của con: Nam.",
    "Cân nặng: 3,2 kilôgam. Số con trong lần sinh này: một.",
    "Dự định đặt tên con là: Nguyễn Minh Khôi.",
    "Người đỡ đẻ: bác sĩ Trần Văn Đức, khoa Sản, bệnh viện tỉnh.",
    "Giấy này cấp để làm thủ tục đăng ký khai sinh cho trẻ em,",
    "có giá trị trong thời hạn sáu mươi ngày kể từ ngày ký.",
)
PARAGRAPHS = 4  # the lines above, four times: a full A4 page of 11–12 pt print


def words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


def page_words() -> Counter:
    """Every word printed on the text page, with how often it is printed."""
    return Counter(words(" ".join([TITLE, *LINES * PARAGRAPHS])))


def _camera(img: Image.Image, noise: float = 6) -> Image.Image:
    """Light brightest near the top left, a soft lens, sensor noise."""
    w, h = img.size
    light = Image.radial_gradient("L").resize((w * 2, h * 2))
    light = light.crop((w // 3, h // 4, w // 3 + w, h // 4 + h))
    light = light.point(lambda v: 255 - v * 70 // 255)
    img = ImageChops.multiply(img, Image.merge("RGB", [light] * 3))
    img = img.filter(ImageFilter.GaussianBlur(1.1))
    grain = Image.effect_noise((w, h), noise)
    return ImageChops.add(img, Image.merge("RGB", [grain] * 3), offset=-128)


def text_page_image(width: int = 3000, height: int = 4000, noise: float = 6) -> Image.Image:
    """An A4 page of print on a wooden table, upright, as the eye sees it."""
    img = Image.new("RGB", (width, height), (92, 74, 60))
    page = Image.new("RGB", (int(width * 0.88), int(height * 0.9)), (244, 242, 236))
    draw = ImageDraw.Draw(page)
    scale = width / 3000
    draw.text((page.width // 2, int(260 * scale)), TITLE, anchor="mm", fill=(25, 25, 30),
              font=ImageFont.truetype(SERIF_BOLD, int(78 * scale)))
    body = ImageFont.truetype(SERIF, int(52 * scale))  # 11–12 pt on an A4 page
    y = int(460 * scale)
    for _ in range(PARAGRAPHS):
        for line in LINES:
            draw.text((int(180 * scale), y), line, font=body, fill=(30, 30, 35))
            y += int(76 * scale)
        y += int(30 * scale)
    img.paste(page, ((width - page.width) // 2, (height - page.height) // 2))
    return _camera(img, noise)


def text_page_photo() -> bytes:
    """The page as a phone stores it: the sensor's landscape pixels (4000×3000) and an EXIF
    Orientation 6 that turns them upright, JPEG quality 90 (~3.6 MB)."""
    sideways = text_page_image().transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    out = io.BytesIO()
    sideways.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def dim_text_page_photo() -> bytes:
    """The page shot in a dim room: heavy sensor noise, upright, JPEG quality 92 (~7 MB).
    Even at quality 0.5 and 1600 px this is above 200 KB, so the shrink must go smaller."""
    out = io.BytesIO()
    text_page_image(noise=30).save(out, "JPEG", quality=92)
    return out.getvalue()


def id_card_photo() -> bytes:
    """A colour citizen's ID card on a table, 4000×3000, JPEG quality 90."""
    img = Image.new("RGB", (4000, 3000), (70, 96, 84))
    card = Image.linear_gradient("L").rotate(90, expand=True).resize((2800, 1770))
    card = Image.merge("RGB", [card.point(lambda v: 190 + v // 6),
                               card.point(lambda v: 215 + v // 10), Image.new("L", card.size, 238)])
    draw = ImageDraw.Draw(card)
    for x in range(0, 2800, 24):  # the guilloche-like background lines
        draw.arc((x - 900, 300, x + 900, 2300), 200, 340, fill=(170, 200, 225), width=3)
    draw.ellipse((120, 90, 420, 390), fill=(200, 40, 40), outline=(230, 190, 40), width=14)
    draw.rectangle((140, 560, 840, 1500), fill=(225, 225, 225))
    draw.ellipse((300, 700, 680, 1160), fill=(222, 180, 150))
    draw.pieslice((210, 1100, 770, 1700), 180, 360, fill=(40, 60, 110))
    draw.text((1500, 170), "CĂN CƯỚC CÔNG DÂN", anchor="mm", fill=(180, 20, 20),
              font=ImageFont.truetype(SANS, 110))
    font = ImageFont.truetype(SANS, 64)
    for i, line in enumerate(("Số: 025190000123", "Họ và tên: NGUYỄN THỊ HẰNG",
                              "Ngày sinh: 14/05/1990   Giới tính: Nữ", "Quốc tịch: Việt Nam",
                              "Quê quán: Hòa Bình, Phú Thọ",
                              "Nơi thường trú: tổ 5, phố Chợ, Hòa Bình")):
        draw.text((960, 420 + i * 170), line, font=font, fill=(20, 30, 60))
    img.paste(card.rotate(3, expand=True, fillcolor=(70, 96, 84)), (560, 520))
    out = io.BytesIO()
    _camera(img).save(out, "JPEG", quality=90)
    return out.getvalue()


def screenshot_png(width: int = 720, height: int = 480) -> bytes:
    """A small screenshot: flat colours and text, a PNG well under 200 KB."""
    img = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, 60), fill=(30, 90, 160))
    font = ImageFont.truetype(SANS, 22)
    draw.text((20, 18), "Cổng dịch vụ công — Tra cứu hồ sơ", font=font, fill=(255, 255, 255))
    for i, line in enumerate(LINES[:8]):
        draw.text((20, 90 + i * 44), line, font=font, fill=(40, 40, 40))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def photo_png() -> bytes:
    """A camera photo saved as PNG (2000×1500, several MB): worth sending as JPEG."""
    img = Image.open(io.BytesIO(id_card_photo())).resize((2000, 1500))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
