"""Tests for district_portal.services.codes."""

from __future__ import annotations

import ast
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from district_portal import codes
from district_portal.codes import (
    DOSSIER_CODE_RE,
    REF_ALPHABET,
    check_char,
    format_dossier_code,
    format_ref,
    is_valid_ref,
    looks_like_dossier_code,
    new_ref,
    normalize_ref,
    parse_lookup,
)

AGENCY = "000.00.17.H29"
N = 32


def reference_check_char(payload: str) -> str:
    """Luhn mod N written straight from the textbook description."""
    factor = 2
    total = 0
    for ch in reversed(payload):
        addend = factor * REF_ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        addend = (addend // N) + (addend % N)
        total += addend
    return REF_ALPHABET[(N - total % N) % N]


def make_ref(payload: str) -> str:
    return payload + check_char(payload)


def random_payloads(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(REF_ALPHABET) for _ in range(7)) for _ in range(count)]


# --------------------------------------------------------------------------
# Module hygiene
# --------------------------------------------------------------------------


def test_module_imports_neither_flask_nor_sqlalchemy():
    tree = ast.parse(Path(codes.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"flask", "sqlalchemy", "flask_sqlalchemy"}


def test_every_public_function_has_a_docstring():
    for name in codes.__all__:
        obj = getattr(codes, name)
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__ and obj.__doc__.strip(), name


# --------------------------------------------------------------------------
# Dossier codes
# --------------------------------------------------------------------------


def test_dossier_code_matches_the_documented_example():
    assert format_dossier_code(AGENCY, date(2026, 11, 25), 1) == "000.00.17.H29-261125-0001"


@pytest.mark.parametrize(
    ("number", "suffix"),
    [
        (1, "0001"),
        (42, "0042"),
        (999, "0999"),
        (9999, "9999"),
        (10000, "10000"),
        (123456, "123456"),
    ],
)
def test_dossier_counter_is_zero_padded_to_four_digits_and_grows_past_9999(number, suffix):
    assert format_dossier_code(AGENCY, date(2026, 1, 5), number) == f"{AGENCY}-260105-{suffix}"


def test_dossier_date_uses_two_digit_year_month_and_day():
    assert format_dossier_code("H29", date(2030, 2, 3), 7) == "H29-300203-0007"
    assert format_dossier_code("H29", date(2099, 12, 31), 7) == "H29-991231-0007"


@pytest.mark.parametrize("number", [0, -1])
def test_dossier_counter_below_one_is_rejected(number):
    with pytest.raises(ValueError):
        format_dossier_code(AGENCY, date(2026, 11, 25), number)


@pytest.mark.parametrize("number", [True, 1.0, "1", None])
def test_dossier_counter_must_be_a_real_int(number):
    with pytest.raises(TypeError):
        format_dossier_code(AGENCY, date(2026, 11, 25), number)


def test_dossier_date_refuses_a_datetime_because_it_may_not_be_the_local_day():
    with pytest.raises(TypeError):
        format_dossier_code(AGENCY, datetime(2026, 11, 25, 17, 0, tzinfo=UTC), 1)
    with pytest.raises(TypeError):
        format_dossier_code(AGENCY, "2026-11-25", 1)


@pytest.mark.parametrize(
    "agency",
    ["", "AB", ".00.17.H29", "000.00.17.h29", "000-00", "000 00", "A" * 33, "Đ29"],
)
def test_invalid_agency_codes_are_rejected(agency):
    with pytest.raises(ValueError):
        format_dossier_code(agency, date(2026, 11, 25), 1)


def test_agency_code_length_limits_are_three_to_thirty_two_characters():
    assert format_dossier_code("H29", date(2026, 11, 25), 1).startswith("H29-")
    assert format_dossier_code("A" * 32, date(2026, 11, 25), 1).startswith("A" * 32 + "-")


def test_agency_code_must_be_a_string():
    with pytest.raises(TypeError):
        format_dossier_code(None, date(2026, 11, 25), 1)


def test_every_formatted_dossier_code_is_recognised_by_the_regex():
    rng = random.Random(7)
    for _ in range(300):
        d = date(2000, 1, 1).fromordinal(date(2000, 1, 1).toordinal() + rng.randrange(36500))
        number = rng.choice([1, rng.randrange(1, 10000), rng.randrange(10000, 10**7)])
        code = format_dossier_code(AGENCY, d, number)
        match = DOSSIER_CODE_RE.fullmatch(code)
        assert match, code
        assert match["agency"] == AGENCY
        assert match["date"] == d.strftime("%y%m%d")
        assert int(match["number"]) == number
        assert looks_like_dossier_code(code)


@pytest.mark.parametrize(
    "text",
    [
        "000.00.17.H29-261125-0001",
        "000.00.17.h29-261125-0001",
        "  000.00.17.H29-261125-0001\n",
        "\t000.00.17.h29-261125-12345 ",
        "H29-000229-0001",
        "H29-261231-9999",
    ],
)
def test_dossier_codes_are_recognised_case_insensitively_and_trimmed(text):
    assert looks_like_dossier_code(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "000.00.17.H29",
        "000.00.17.H29-261125",
        "000.00.17.H29-261125-001",  # counter too short
        "000.00.17.H29-261125-0000",  # counter starts at 1
        "000.00.17.H29-261125-01234",  # longer counters never have leading zeros
        "000.00.17.H29-2611250-0001",
        "000.00.17.H29-261325-0001",  # month 13
        "000.00.17.H29-261100-0001",  # day 0
        "000.00.17.H29-261132-0001",  # day 32
        "000.00.17.H29-260231-0001",  # 31 February
        "000.00.17.H29-250229-0001",  # 2025 is not a leap year
        ".00.17.H29-261125-0001",
        "AB-261125-0001",
        "000.00.17.H29 261125 0001",
        "000.00.17.H29-261125-0001-X",
        "000.00.17.H29 - 261125 - 0001",
        "R5D3-4HGK",
        "Đ29-261125-0001",
    ],
)
def test_things_that_are_not_dossier_codes_are_not_recognised(text):
    assert not looks_like_dossier_code(text)


@pytest.mark.parametrize("value", [None, 123, b"000.00.17.H29-261125-0001", ["x"]])
def test_looks_like_dossier_code_returns_false_for_non_strings(value):
    assert looks_like_dossier_code(value) is False


def test_dossier_code_regex_is_for_canonical_upper_case_only():
    assert DOSSIER_CODE_RE.fullmatch("000.00.17.H29-261125-0001")
    assert not DOSSIER_CODE_RE.fullmatch("000.00.17.h29-261125-0001")


# --------------------------------------------------------------------------
# Check character
# --------------------------------------------------------------------------


def test_alphabet_is_crockford_base32():
    assert REF_ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(set(REF_ALPHABET)) == 32
    assert not set("ILOU") & set(REF_ALPHABET)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("0000000", "0"),  # sum 0
        ("0000001", "Y"),  # 2*1 = 2 -> (32 - 2) = 30 = Y
        ("0000010", "Z"),  # 1*1 = 1 -> 31 = Z
        ("000000Z", "1"),  # 2*31 = 62 = "1U" in base 32 -> 1 + 30 = 31 -> 1
        ("000000G", "Z"),  # 2*16 = 32 = "10" in base 32 -> 1 -> 31 = Z
        ("00000Z0", "1"),  # 1*31 = 31 -> 1
        ("1000000", "Y"),  # leftmost of 7 also has factor 2
    ],
)
def test_check_char_matches_hand_computed_values(payload, expected):
    assert check_char(payload) == expected


def test_check_char_agrees_with_the_textbook_luhn_mod_n():
    for payload in random_payloads(2000, seed=1):
        assert check_char(payload) == reference_check_char(payload)


def test_exactly_one_check_char_makes_a_payload_valid():
    for payload in random_payloads(100, seed=2):
        valid = [c for c in REF_ALPHABET if is_valid_ref(payload + c)]
        assert valid == [check_char(payload)]


@pytest.mark.parametrize(
    "payload", ["", "000000", "00000000", "abcdefg", "ABCDEFU", "ABC-DEF", "ABCDEFI"]
)
def test_check_char_rejects_malformed_payloads(payload):
    with pytest.raises(ValueError):
        check_char(payload)


def test_check_char_rejects_non_strings():
    with pytest.raises(TypeError):
        check_char(1234567)


# --------------------------------------------------------------------------
# new_ref / is_valid_ref / format_ref
# --------------------------------------------------------------------------


def test_new_ref_is_eight_alphabet_characters_with_a_valid_check_char():
    for _ in range(500):
        ref = new_ref()
        assert len(ref) == 8
        assert set(ref) <= set(REF_ALPHABET)
        assert "-" not in ref
        assert ref[7] == check_char(ref[:7])
        assert is_valid_ref(ref)


def test_new_ref_uses_the_secrets_module(monkeypatch):
    calls = []

    def fake_choice(seq):
        calls.append(seq)
        return "7"

    monkeypatch.setattr(codes.secrets, "choice", fake_choice)
    assert new_ref() == "7777777" + check_char("7777777")
    assert len(calls) == 7


def test_new_ref_redraws_refs_with_adjacent_zero_and_z(monkeypatch):
    draws = iter("00Z0000" + "ABCDEFG")
    monkeypatch.setattr(codes.secrets, "choice", lambda seq: next(draws))
    assert new_ref() == make_ref("ABCDEFG")


def test_new_ref_never_puts_zero_and_z_next_to_each_other():
    for _ in range(3000):
        ref = new_ref()
        assert "0Z" not in ref and "Z0" not in ref


def test_new_refs_look_random():
    refs = {new_ref() for _ in range(2000)}
    assert len(refs) == 2000
    seen = {ch for ref in refs for ch in ref[:7]}
    assert seen == set(REF_ALPHABET)


@pytest.mark.parametrize(
    "value",
    [
        None,
        12345678,
        "",
        "0000000",
        "000000000",
        "0000000Z",
        "0000-0000",
        "00000000 ",
        "abcdefgh",
        "0000000o",
    ],
)
def test_is_valid_ref_rejects_anything_that_is_not_a_canonical_valid_ref(value):
    assert is_valid_ref(value) is False


def test_is_valid_ref_is_strict_about_case_even_if_normalize_is_not():
    ref = make_ref("ABCDEFG")
    assert is_valid_ref(ref)
    assert not is_valid_ref(ref.lower())
    assert normalize_ref(ref.lower()) == ref


def test_format_ref_inserts_a_dash_in_the_middle():
    ref = make_ref("ABCDEFG")
    assert format_ref(ref) == f"ABCD-EFG{ref[7]}"
    assert format_ref("00000000") == "0000-0000"


@pytest.mark.parametrize("value", ["0000-0000", "0000000Z", "abcd1234", "", None])
def test_format_ref_rejects_invalid_refs(value):
    with pytest.raises(ValueError):
        format_ref(value)


def test_formatted_refs_normalize_back_to_the_original():
    for _ in range(200):
        ref = new_ref()
        assert normalize_ref(format_ref(ref)) == ref


# --------------------------------------------------------------------------
# normalize_ref: tolerance
# --------------------------------------------------------------------------

REF_WITH_ALIASES = make_ref("01A1B0C")  # contains 0 and 1 so aliases matter


def test_reference_ref_for_alias_tests_is_what_we_think():
    assert REF_WITH_ALIASES[:7] == "01A1B0C"


@pytest.mark.parametrize(
    "typed",
    [
        "{r}",
        "{l}",
        "{r4}-{r8}",
        "{l4}-{l8}",
        "  {r4} {r8}  ",
        "{r4}\u2010{r8}",  # hyphen
        "{r4}\u2011{r8}",  # non-breaking hyphen
        "{r4}\u2012{r8}",  # figure dash
        "{r4}\u2013{r8}",  # en dash
        "{r4}\u2014{r8}",  # em dash
        "{r4}\u2015{r8}",  # horizontal bar
        "{r4}\u2212{r8}",  # minus sign
        "{r4}\ufe63{r8}",  # small hyphen-minus
        "{r4}\uff0d{r8}",  # full-width hyphen-minus
        "{r4}\u00ad{r8}",  # soft hyphen
        "{r4}\u00a0{r8}",  # no-break space
        "{r4}\u3000{r8}",  # ideographic space
        "\ufeff{r}\u200b",  # BOM and zero-width space from copy-paste
        "{r4}--{r8}",
        "{r4} - {r8}",
        "{spread}",
    ],
)
def test_normalize_ref_tolerates_case_spaces_and_every_kind_of_dash(typed):
    ref = REF_WITH_ALIASES
    text = typed.format(
        r=ref,
        l=ref.lower(),
        r4=ref[:4],
        r8=ref[4:],
        l4=ref[:4].lower(),
        l8=ref[4:].lower(),
        spread=" ".join(ref),
    )
    assert normalize_ref(text) == ref


@pytest.mark.parametrize(
    "alias_for_zero_and_one",
    [("O", "I"), ("o", "i"), ("O", "L"), ("o", "l"), ("0", "l"), ("O", "1")],
)
def test_normalize_ref_reads_o_as_zero_and_i_or_l_as_one(alias_for_zero_and_one):
    zero, one = alias_for_zero_and_one
    ref = REF_WITH_ALIASES
    typed = ref.replace("0", zero).replace("1", one)
    assert normalize_ref(typed) == ref


def test_normalize_ref_accepts_full_width_characters():
    ref = REF_WITH_ALIASES
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in ref.lower())
    assert normalize_ref(full_width) == ref


def test_normalize_ref_rejects_u_even_when_the_rest_is_valid():
    # V is code point 27; U is not in the alphabet and must not be guessed.
    ref = make_ref("ABCDEFV")
    assert normalize_ref(ref) == ref
    assert normalize_ref(ref.replace("V", "U")) is None
    assert normalize_ref(ref.replace("V", "u")) is None


@pytest.mark.parametrize(
    "typed",
    [
        None,
        12345678,
        "",
        "   ",
        "----",
        "ABCD",
        "ABCDEFGHJ",
        "ABCD_EFGH",
        "ABCD.EFGH",
        "ABCD/EFGH",
        "ABCDĐEFG",
        "ÀBCDEFGH",
        "ABCD*EFG",
    ],
)
def test_normalize_ref_returns_none_for_garbage(typed):
    assert normalize_ref(typed) is None


def test_normalize_ref_rejects_wrong_length_even_with_valid_prefix():
    ref = new_ref()
    assert normalize_ref(ref[:7]) is None
    assert normalize_ref(ref + "0") is None
    assert normalize_ref(ref + ref) is None


def test_normalize_ref_rejects_a_ref_with_the_wrong_check_char():
    ref = make_ref("ABCDEFG")
    wrong = next(c for c in REF_ALPHABET if c != ref[7])
    assert normalize_ref(ref[:7] + wrong) is None


def test_normalize_ref_rejects_characters_that_uppercase_to_several_letters():
    # "ß".upper() == "SS"; it must not sneak an extra character in.
    ref = make_ref("ABCDEFS")
    assert normalize_ref(ref) == ref
    assert normalize_ref(ref[:6] + "ß" + ref[7]) is None


# --------------------------------------------------------------------------
# normalize_ref: error detection (exhaustive over random refs)
# --------------------------------------------------------------------------


def _issued_refs() -> list[str]:
    return [new_ref() for _ in range(200)]


def test_every_single_character_substitution_is_caught():
    checked = 0
    for ref in _issued_refs():
        for pos in range(8):
            for ch in REF_ALPHABET:
                if ch == ref[pos]:
                    continue
                typo = ref[:pos] + ch + ref[pos + 1 :]
                assert normalize_ref(typo) is None, (ref, typo)
                assert not is_valid_ref(typo)
                checked += 1
    assert checked == 200 * 8 * 31


def test_every_single_character_substitution_is_caught_for_any_payload_too():
    # Substitution detection does not depend on the 0/Z avoidance in new_ref.
    for ref in (
        make_ref(p) for p in random_payloads(200, seed=3) + ["0Z0Z0Z0", "ZZZZZZZ", "0000000"]
    ):
        for pos in range(8):
            for ch in REF_ALPHABET:
                if ch != ref[pos]:
                    assert not is_valid_ref(ref[:pos] + ch + ref[pos + 1 :])


def test_every_adjacent_transposition_of_an_issued_ref_is_caught():
    checked = 0
    for ref in _issued_refs():
        for pos in range(7):
            a, b = ref[pos], ref[pos + 1]
            if a == b:
                continue
            swapped = ref[:pos] + b + a + ref[pos + 2 :]
            assert normalize_ref(swapped) is None, (ref, swapped)
            checked += 1
    assert checked > 1000


def _valid_ref_with_pair(filler: str, pos: int, a: str, b: str) -> str:
    """A valid ref with ``a`` at ``pos`` and ``b`` at ``pos + 1``."""
    if pos < 6:
        return make_ref(filler[:pos] + a + b + filler[pos + 2 :])
    # b is the check character: vary the first character until it fits.
    # Exactly one choice works because a substitution always changes the check.
    (ref,) = [
        make_ref(c + filler[1:6] + a) for c in REF_ALPHABET if check_char(c + filler[1:6] + a) == b
    ]
    return ref


def test_every_adjacent_transposition_of_every_character_pair_is_caught_except_zero_and_z():
    # Exhaustive over all 32*31 ordered pairs at every adjacent position,
    # including the last payload character next to the check character.
    for filler in random_payloads(5, seed=4):
        for pos in range(7):
            for a in REF_ALPHABET:
                for b in REF_ALPHABET:
                    if a == b:
                        continue
                    ref = _valid_ref_with_pair(filler, pos, a, b)
                    assert is_valid_ref(ref) and ref[pos : pos + 2] == a + b
                    swapped = ref[:pos] + b + a + ref[pos + 2 :]
                    if {a, b} == {"0", "Z"}:
                        # The known Luhn mod 32 blind spot, which is why
                        # new_ref never issues such a ref.
                        assert is_valid_ref(swapped)
                    else:
                        assert not is_valid_ref(swapped), (ref, swapped)


def test_zero_z_is_the_only_undetected_transposition_by_algebra():
    # Swapping neighbours a,b (factors 2 and 1) is undetected iff
    # g(a) == g(b) mod 32 with g(x) = digitsum(2x) - x.
    def g(x: int) -> int:
        return ((2 * x) // N + (2 * x) % N - x) % N

    blind = [
        (REF_ALPHABET[a], REF_ALPHABET[b])
        for a in range(N)
        for b in range(a + 1, N)
        if g(a) == g(b)
    ]
    assert blind == [("0", "Z")]


# --------------------------------------------------------------------------
# parse_lookup
# --------------------------------------------------------------------------


def test_parse_lookup_recognises_a_dossier_code_and_upper_cases_it():
    assert parse_lookup("  000.00.17.h29-261125-0001 ") == ("code", "000.00.17.H29-261125-0001")


def test_parse_lookup_recognises_a_ref_in_any_typed_form():
    ref = REF_WITH_ALIASES
    assert parse_lookup(ref) == ("ref", ref)
    assert parse_lookup(format_ref(ref).lower()) == ("ref", ref)
    assert parse_lookup(" " + ref[:4].replace("0", "o") + " \u2013 " + ref[4:] + " ") == (
        "ref",
        ref,
    )


def test_parse_lookup_round_trips_generated_values():
    for n in (1, 9999, 10000):
        code = format_dossier_code(AGENCY, date(2026, 11, 25), n)
        assert parse_lookup(code) == ("code", code)
        assert parse_lookup(code.lower()) == ("code", code)
    for _ in range(100):
        ref = new_ref()
        assert parse_lookup(format_ref(ref)) == ("ref", ref)


@pytest.mark.parametrize(
    "typed",
    [
        None,
        42,
        "",
        "   ",
        "hello",
        "000.00.17.H29-261325-0001",  # impossible date
        "000.00.17.H29-261125",
        "0000-000Z",  # ref with a bad check char
        "ABCD-EFGU",
    ],
)
def test_parse_lookup_returns_none_for_anything_else(typed):
    assert parse_lookup(typed) is None


def test_a_ref_typo_is_not_mistaken_for_anything():
    ref = new_ref()
    typo = ref[:3] + ("1" if ref[3] != "1" else "2") + ref[4:]
    assert parse_lookup(typo) is None
