"""ICC profiles keep their colour data and lose their identifying words."""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageCms

from tests.media import samples
from trove.media.icc import clean_icc_profile


def tag_table(profile: bytes) -> dict[bytes, tuple[int, int]]:
    (count,) = struct.unpack_from(">I", profile, 128)
    return {
        profile[132 + 12 * i : 136 + 12 * i]: struct.unpack_from(">II", profile, 136 + 12 * i)
        for i in range(count)
    }


def test_text_tags_and_device_fields_are_blanked() -> None:
    profile = bytearray(samples.icc_profile())
    profile[48:56] = b"APPLiPhn"  # device manufacturer and model
    profile[80:84] = b"JANE"  # creator
    cleaned = clean_icc_profile(bytes(profile))
    assert cleaned is not None and len(cleaned) == len(profile)
    assert cleaned[48:56] == bytes(8) and cleaned[80:100] == bytes(20)
    loaded = ImageCms.ImageCmsProfile(io.BytesIO(cleaned))
    assert ImageCms.getProfileDescription(loaded).strip() == ""
    assert ImageCms.getProfileCopyright(loaded).strip() == ""
    original = ImageCms.ImageCmsProfile(io.BytesIO(bytes(profile)))
    assert ImageCms.getProfileDescription(original).strip() == "sRGB built-in"


def test_colour_tags_are_untouched() -> None:
    profile = samples.icc_profile()
    cleaned = clean_icc_profile(profile)
    assert cleaned is not None
    for name, (offset, length) in tag_table(profile).items():
        if name not in (b"desc", b"cprt", b"dmnd", b"dmdd"):
            assert cleaned[offset : offset + length] == profile[offset : offset + length]


def test_cleaned_profile_still_loads_and_transforms() -> None:
    cleaned = clean_icc_profile(samples.icc_profile())
    assert cleaned is not None
    loaded = ImageCms.ImageCmsProfile(io.BytesIO(cleaned))
    transform = ImageCms.buildTransform(loaded, ImageCms.createProfile("sRGB"), "RGB", "RGB")
    image = samples.picture(8, 8)
    converted = ImageCms.applyTransform(image, transform)
    assert isinstance(converted, Image.Image) and converted.size == (8, 8)


def test_invalid_profiles_are_rejected() -> None:
    profile = samples.icc_profile()
    assert clean_icc_profile(b"") is None
    assert clean_icc_profile(b"garbage" * 40) is None
    assert clean_icc_profile(profile[:-4]) is None  # size field disagrees
    broken = bytearray(profile)
    struct.pack_into(">I", broken, 128, 5000)  # more tags than fit
    assert clean_icc_profile(bytes(broken)) is None
    broken = bytearray(profile)
    struct.pack_into(">I", broken, 136, len(profile))  # first tag points past the end
    assert clean_icc_profile(bytes(broken)) is None
