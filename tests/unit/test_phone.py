"""cti.phone: real-world caller-ID forms → E.164 and kind, never raising."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cti.phone
from cti.phone import KINDS, PhoneInfo, describe, normalise, search_keys

ZS = "+8613800138000"
BJ = "+861088888888"
SH = "+862162888888"

# (raw, expected e164, expected kind)
FORMS: list[tuple[str | None, str | None, str]] = [
    # a Chinese mobile, every way a trunk, a PBX or a person writes it
    ("+8613800138000", ZS, "mobile"),
    ("008613800138000", ZS, "mobile"),
    ("8613800138000", ZS, "mobile"),
    ("13800138000", ZS, "mobile"),
    ("013800138000", ZS, "mobile"),  # trunk prefix 0 before a mobile
    ("+86013800138000", ZS, "mobile"),
    ("+86 138-0013-8000", ZS, "mobile"),
    ("(+86) 13800138000", ZS, "mobile"),
    ("138 0013 8000", ZS, "mobile"),
    ("138.0013.8000", ZS, "mobile"),
    ("138-0013-8000", ZS, "mobile"),
    ("  13800138000\t", ZS, "mobile"),
    ("１３８００１３８０００", ZS, "mobile"),  # full-width digits
    ("＋８６ １３８－００１３－８０００", ZS, "mobile"),  # full-width plus and dashes
    ("tel:+8613800138000", ZS, "mobile"),
    ("sip:+8613800138000@carrier", ZS, "mobile"),
    ("<sip:13800138000@10.0.0.1:5060>", ZS, "mobile"),
    ('"Zhang San" <13800138000>', ZS, "mobile"),  # Asterisk CALLERID(all) form
    ("+8613912345678", "+8613912345678", "mobile"),
    ("18612345678", "+8618612345678", "mobile"),
    ("+8613312345678", "+8613312345678", "mobile"),
    # Beijing, Shanghai, Shenzhen landlines
    ("010 8888 8888", BJ, "fixed_line"),
    ("01088888888", BJ, "fixed_line"),
    ("010-88888888", BJ, "fixed_line"),
    ("+86 10 8888 8888", BJ, "fixed_line"),
    ("+86 (0)10 8888 8888", BJ, "fixed_line"),
    ("861088888888", BJ, "fixed_line"),
    ("0086 10 8888 8888", BJ, "fixed_line"),
    ("tel:+86-10-8888-8888;phone-context=example.com", BJ, "fixed_line"),
    ("021-6288 8888", SH, "fixed_line"),
    ("02162888888", SH, "fixed_line"),
    ("0755 2633 8888", "+8675526338888", "fixed_line"),
    # 400 / 800 numbers and service short numbers
    ("4008001234", "+864008001234", "shared_cost"),
    ("400-800-1234", "+864008001234", "shared_cost"),
    ("8008301880", "+868008301880", "toll_free"),
    ("95588", "+8695588", "short"),  # bank short number: a storage key, kind short
    ("10086", "+8610086", "short"),
    ("+86 95588", "+8695588", "short"),
    # foreign numbers
    ("+14155550123", "+14155550123", "other"),  # US: fixed or mobile, cannot tell
    ("0014155550123", "+14155550123", "other"),
    ("+442079460000", "+442079460000", "fixed_line"),
    ("00442079460000", "+442079460000", "fixed_line"),
    ("+85221234567", "+85221234567", "fixed_line"),
    ("0085291234567", "+85291234567", "mobile"),
    ("+886223456789", "+886223456789", "fixed_line"),
    ("+81312345678", "+81312345678", "fixed_line"),
    # withheld
    ("anonymous", None, "anonymous"),
    ("Anonymous", None, "anonymous"),
    ("ANONYMOUS", None, "anonymous"),
    ("unknown", None, "anonymous"),
    ("<unknown>", None, "anonymous"),
    ("restricted", None, "anonymous"),
    ("private", None, "anonymous"),
    ("unavailable", None, "anonymous"),
    ("sip:anonymous@anonymous.invalid", None, "anonymous"),
    ("", None, "anonymous"),
    ("   ", None, "anonymous"),
    (None, None, "anonymous"),
    # garbage
    ("abc", None, "invalid"),
    ("+", None, "invalid"),
    ("0", None, "invalid"),
    ("()", None, "invalid"),
    ("1" * 30, None, "invalid"),
    ("1380013800", None, "invalid"),  # one digit short
    ("138001380001", None, "invalid"),  # one digit long
    ("88888888", None, "invalid"),  # local number without area code
    ("1001", None, "invalid"),  # an internal extension
    ("abc13800138000", None, "invalid"),  # digits are not fished out of text
    ("138 0013 8000 ext 12", None, "invalid"),
    ("13800138000#", None, "invalid"),
    ("13800138000\r\nX-Header: 1", None, "invalid"),
    ("x" * 1000, None, "invalid"),
]


@pytest.mark.parametrize(("raw", "e164", "kind"), FORMS, ids=[repr(r)[:40] for r, _, _ in FORMS])
def test_written_form_gives_e164_and_kind(raw: str | None, e164: str | None, kind: str) -> None:
    info = normalise(raw)
    assert (info.e164, info.kind) == (e164, kind)
    assert info.raw == (raw or "")
    assert info.usable is (e164 is not None)


def test_table_has_at_least_forty_real_world_forms() -> None:
    assert len(FORMS) >= 40


@pytest.mark.parametrize(
    ("raw", "prefixes", "e164"),
    [
        ("913800138000", ("9",), ZS),  # outside line 9 + mobile
        ("9013800138000", ("9",), ZS),  # 9 + trunk 0 + mobile
        ("901088888888", ("9",), BJ),  # 9 + 010 landline
        ("900442079460000", ("9",), "+442079460000"),  # 9 + international
        ("13800138000", ("9",), ZS),  # no prefix sent: still fine
        ("95588", ("9",), "+8695588"),  # valid as written wins over stripping
        ("001088888888", ("0",), BJ),  # outside line 0 + 010 landline
    ],
)
def test_outside_line_prefix_is_stripped_only_when_needed(raw: str, prefixes: tuple[str, ...], e164: str) -> None:
    assert normalise(raw, outside_prefixes=prefixes).e164 == e164


def test_outside_prefix_is_not_stripped_without_being_configured() -> None:
    assert normalise("913800138000").kind == "invalid"


@pytest.mark.parametrize(
    ("raw", "lang", "place", "carrier"),
    [
        ("13800138000", "zh", "北京市", "中国移动"),
        ("13800138000", "en", "Beijing", "China Mobile"),
        ("021-6288 8888", "zh", "上海市", ""),
        ("0755 2633 8888", "zh", "广东省深圳市", ""),
        ("+14155550123", "zh", "美国", ""),
        ("+14155550123", "en", "United States San Francisco, CA", ""),
        ("+886223456789", "zh", "台湾地区 台北", ""),
        ("+85221234567", "zh", "香港", ""),
        ("4008001234", "zh", "", ""),  # non-geographic: "中国" alone says nothing
        ("16612345678", "zh", "", "中国联通"),
    ],
)
def test_place_and_carrier_come_in_the_requested_language(raw: str, lang: str, place: str, carrier: str) -> None:
    info = normalise(raw, lang=lang)
    assert (info.place, info.carrier) == (place, carrier)


def test_display_formats_region_and_time_zone() -> None:
    mobile = normalise("013800138000")
    assert (mobile.national, mobile.international) == ("138 0013 8000", "+86 138 0013 8000")
    assert (mobile.region, mobile.time_zones) == ("CN", ("Asia/Shanghai",))
    landline = normalise("01088888888")
    assert (landline.national, landline.international) == ("010 8888 8888", "+86 10 8888 8888")
    uk = normalise("00442079460000")
    assert (uk.region, uk.time_zones) == ("GB", ("Europe/London",))


def test_short_number_is_a_national_key_without_time_zone() -> None:
    info = normalise("95588")
    assert (info.region, info.national, info.international, info.time_zones) == ("CN", "95588", "+86 95588", ())


def test_anonymous_info_carries_nothing_usable() -> None:
    info = normalise("<unknown>")
    assert info.anonymous
    assert info == PhoneInfo("<unknown>", None, "anonymous", None, "", "", "", "", ())


def test_invalid_info_keeps_the_digits_for_display() -> None:
    info = normalise("138-0013-800")
    assert (info.kind, info.national, info.anonymous) == ("invalid", "1380013800", False)


def test_other_home_region_changes_what_national_means() -> None:
    assert normalise("(415) 555-0123", region="US").e164 == "+14155550123"
    assert normalise("13800138000", region="US").kind == "invalid"


def test_results_are_cached_per_raw_region_prefixes_and_lang() -> None:
    assert normalise("13800138000") is normalise("13800138000")
    assert normalise("13800138000", lang="en") is not normalise("13800138000")


def test_non_string_input_does_not_raise() -> None:
    assert normalise(13800138000).e164 == ZS  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("138 0013 8000", [ZS]),
        ("+86 138-0013-8000", [ZS]),
        ("010-88888888", [BJ]),
        ("442079460000", ["+442079460000"]),  # foreign typed without +
        ("14155550123", ["+14155550123"]),
        ("0013", []),  # partial: caller does a LIKE search
        ("13800", []),
        ("8888 8888", []),
        ("95588", []),  # short: the LIKE search finds the stored key
        ("张三", []),
        ("", []),
        ("anonymous", []),
    ],
)
def test_search_keys_gives_e164_for_complete_numbers_only(text: str, keys: list[str]) -> None:
    assert search_keys(text) == keys


def test_describe_makes_one_display_line() -> None:
    assert describe(normalise("13800138000")) == "138 0013 8000（手机，北京市，中国移动）"
    assert describe(normalise("13800138000", lang="en"), "en") == "138 0013 8000 (mobile, Beijing, China Mobile)"
    assert describe(normalise("anonymous")) == "未显示号码"
    assert describe(normalise("abc"), "en") == "invalid number"


def test_doctests_run() -> None:
    result = doctest.testmod(cti.phone)
    assert result.attempted > 0 and result.failed == 0


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=300), st.from_regex(r"[+0-9 ()\-.<>@:a-z]{0,40}", fullmatch=True)))
def test_normalise_never_raises_and_is_consistent(raw: str | None) -> None:
    info = normalise(raw)
    assert info.kind in KINDS
    assert (info.e164 is None) == (info.kind in ("anonymous", "invalid"))
    if info.e164 is not None:
        assert info.e164.startswith("+") and info.e164[1:].isdigit()
    search_keys(raw or "")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=7, max_size=11))
def test_a_valid_number_normalises_to_itself(digits: str) -> None:
    info = normalise("+86" + digits)
    if info.e164 is not None:
        assert normalise(info.e164).e164 == info.e164
        assert normalise(info.international).e164 == info.e164
        assert normalise(info.national).e164 == info.e164
