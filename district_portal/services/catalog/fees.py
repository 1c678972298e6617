"""The fee engine: a procedure's fee rules and a dossier's answers → fee lines and a total.

Pure functions, integers in đồng end to end (no floats). A catalogue `fee` is either an integer
(format 1, still valid in format 2: a fixed fee) or an object (format 2):

    {"lines": [rule, ...], "exempt_if": [condition, ...], "note": "...", "online_payment": true}

A rule charges `amount` (or `tiers`) per unit of the number field `per` (pages), for each unit
of the number field `times` (copies), at most `cap` per copy; `exempt_if` conditions on answers
waive it (the fee's own `exempt_if` waives every line). See docs/catalog-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# Far above any real fee, far below the BigInteger column and VNPay's amount field (× 100).
MAX_TOTAL = 10**12


class FeeError(ValueError):
    """The fee cannot be worked out from these answers; `message` says which answer to fix."""

    def __init__(self, message, key: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.key = key


@dataclass(frozen=True)
class FeeLine:
    """One line of the bill: quantity × unit amount = amount. `label` None means the plain
    fixed fee of a format-1 entry ("Fee"); `capped` marks a line charged at the rule's cap;
    `exempt` is None, or the reason the line is waived ("" when the catalogue gives none)."""

    label: str | None
    quantity: int
    unit_amount: int
    amount: int
    capped: bool = False
    exempt: str | None = None

    def to_json(self) -> dict:
        out = {"label": self.label, "quantity": self.quantity,
               "unit_amount": self.unit_amount, "amount": self.amount}
        if self.capped:
            out["capped"] = True
        if self.exempt is not None:
            out["exempt"] = self.exempt
        return out

    @classmethod
    def from_json(cls, data: dict) -> FeeLine:
        return cls(label=data.get("label"), quantity=int(data["quantity"]),
                   unit_amount=int(data["unit_amount"]), amount=int(data["amount"]),
                   capped=bool(data.get("capped")), exempt=data.get("exempt"))


@dataclass(frozen=True)
class FeeQuote:
    lines: tuple[FeeLine, ...]
    total: int
    note: str = ""

    def lines_json(self) -> list[dict]:
        return [line.to_json() for line in self.lines]


def fee_rules(version_data: dict) -> dict:
    """The fee of a catalogue entry (either format) as a format-2 object."""
    fee = version_data.get("fee", 0)
    if isinstance(fee, dict):
        if not fee.get("note") and version_data.get("fee_note"):
            return {**fee, "note": version_data["fee_note"]}
        return fee
    lines = [{"label": None, "amount": int(fee)}] if fee else []
    return {"lines": lines, "note": version_data.get("fee_note", "")}


def has_fee(version_data: dict) -> bool:
    """Whether some answers can make the resident pay (any rule with a non-zero amount)."""
    for rule in fee_rules(version_data).get("lines", []):
        amounts = [rule.get("amount", 0)] + [t["amount"] for t in rule.get("tiers", [])]
        if any(amounts) and rule.get("cap", 1) != 0:
            return True
    return False


def headline_amount(version_data: dict) -> int:
    """The fee in one figure, as lists quote it: the fixed amounts, or each rule's first tier
    (the whole bill depends on the answers: see quote())."""
    return sum(rule.get("amount") or (rule.get("tiers") or [{}])[0].get("amount", 0)
               for rule in fee_rules(version_data).get("lines", []))


def online_payment(version_data: dict) -> bool:
    return bool(fee_rules(version_data).get("online_payment", False))


def quote(version_data: dict, answers: dict) -> FeeQuote:
    """The fee lines and total for `answers` (typed answers, as stored at submission).

    Raises FeeError naming the answer to fix when a counted answer is missing, not a whole
    number of 0 or more, or when the total would exceed MAX_TOTAL.
    """
    rules = fee_rules(version_data)
    labels = {f["key"]: f["label"] for f in version_data.get("fields", [])}
    waived = _exemption(rules.get("exempt_if", []), answers)
    lines: list[FeeLine] = []
    for rule in rules.get("lines", []):
        reason = waived if waived is not None else _exemption(rule.get("exempt_if", []), answers)
        if reason is not None:
            lines.append(FeeLine(rule.get("label"), 1, 0, 0, exempt=reason))
            continue
        lines.extend(_rule_lines(rule, answers, labels))
    total = sum(line.amount for line in lines)
    if total > MAX_TOTAL:
        raise FeeError(_l("The fee would be over %(max)s đồng: check the numbers you entered.",
                          max=f"{MAX_TOTAL:,}".replace(",", ".")))
    return FeeQuote(tuple(lines), total, rules.get("note", ""))


def _rule_lines(rule: dict, answers: dict, labels: dict) -> list[FeeLine]:
    label = rule.get("label")
    units = _count(rule["per"], answers, labels) if rule.get("per") else 1
    copies = _count(rule["times"], answers, labels) if rule.get("times") else 1
    if "tiers" in rule:
        parts = _tier_parts(rule["tiers"], units)
    else:
        parts = [(None, units, int(rule.get("amount", 0)))]
    per_copy = sum(count * amount for _, count, amount in parts)
    cap = rule.get("cap")
    if cap is not None and per_copy > cap:
        return [FeeLine(label, copies, int(cap), copies * int(cap), capped=True)]
    lines = []
    for tier_label, count, amount in parts:
        quantity = count * copies
        text = f"{label} – {tier_label}" if label and tier_label else (label or tier_label)
        lines.append(FeeLine(text, quantity, amount, quantity * amount))
    return lines


def _tier_parts(tiers: list[dict], units: int) -> list[tuple[str | None, int, int]]:
    """How many of `units` fall in each tier: [(tier label, count, unit amount)], no empty
    tier; tiers are ordered and the last is open (the importer checks both)."""
    parts, done = [], 0
    for tier in tiers:
        upper = tier.get("up_to")
        count = (units if upper is None else min(units, upper)) - done
        if count <= 0:
            break
        parts.append((tier.get("label"), count, int(tier["amount"])))
        done += count
    if not parts and tiers:  # nothing counted: one empty line keeps the rule visible
        parts.append((tiers[0].get("label"), 0, int(tiers[0]["amount"])))
    return parts


def _count(key: str, answers: dict, labels: dict) -> int:
    value = answers.get(key)
    label = labels.get(key, key)
    if value is None or value == "":
        raise FeeError(_l("Enter “%(label)s”: the fee depends on it.", label=label), key)
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            (isinstance(value, float) and not value.is_integer()) or value < 0:
        raise FeeError(_l("“%(label)s” must be a whole number, 0 or more, to work out the "
                          "fee.", label=label), key)
    return int(value)


def matches(condition: dict, answers: dict) -> bool:
    """Whether the answer meets a condition {field, equals} or {field, in: [...]}. A checkbox
    that is absent (hidden, or a draft never saved) counts as not ticked."""
    value = answers.get(condition["field"])
    wanted = condition["in"] if "in" in condition else [condition.get("equals")]
    for expected in wanted:
        if isinstance(expected, bool):
            if (value is True) == expected:
                return True
        elif isinstance(value, bool):
            continue
        elif value == expected:
            return True
    return False


def _exemption(conditions: list[dict], answers: dict) -> str | None:
    """The reason of the first condition met ("" when it has no label), or None."""
    for cond in conditions:
        if matches(cond, answers):
            return cond.get("label", "")
    return None


# --- catalogue validation (the importer adds these to its errors) -------------------------

COUNT_TYPES = ("number",)
CHOICE_TYPES = ("select", "radio", "checkbox")


def rule_errors(entry: dict, path: str) -> list[str]:
    """Problems of a format-2 fee object, each as '<JSON path>: message'."""
    fee = entry.get("fee")
    if not isinstance(fee, dict):
        return []
    fields = {f["key"]: f for f in entry.get("fields", [])}
    base = f"{path}.fee"
    errors = _condition_errors(fee.get("exempt_if", []), fields, f"{base}.exempt_if")
    for j, rule in enumerate(fee.get("lines", [])):
        where = f"{base}.lines[{j}]"
        for name in ("per", "times"):
            key = rule.get(name)
            if key is None:
                continue
            if key not in fields:
                errors.append(f"{where}.{name}: unknown field {key!r}")
            elif fields[key]["type"] not in COUNT_TYPES:
                errors.append(f"{where}.{name}: field {key!r} is a {fields[key]['type']} "
                              f"field; a fee can only count a number field")
        if "tiers" in rule:
            errors.extend(_tier_errors(rule, where))
        errors.extend(_condition_errors(rule.get("exempt_if", []), fields, f"{where}.exempt_if"))
    return errors


def _tier_errors(rule: dict, where: str) -> list[str]:
    errors = []
    if not rule.get("per"):
        errors.append(f"{where}.tiers: tiers need `per`, the number field they count")
    tiers = rule["tiers"]
    previous = 0
    for k, tier in enumerate(tiers):
        upper = tier.get("up_to")
        last = k == len(tiers) - 1
        if upper is None and not last:
            errors.append(f"{where}.tiers[{k}].up_to: only the last tier may be open-ended")
        elif upper is not None and last:
            errors.append(f"{where}.tiers[{k}]: the last tier must be open-ended (no up_to), "
                          f"so that every quantity is charged")
        if upper is not None and upper <= previous:
            errors.append(f"{where}.tiers[{k}].up_to: tiers must be in increasing order "
                          f"({upper} after {previous})")
        if upper is not None:
            previous = upper
    return errors


def _condition_errors(conditions: list[dict], fields: dict, base: str) -> list[str]:
    errors = []
    for k, cond in enumerate(conditions):
        where = f"{base}[{k}]"
        spec = fields.get(cond["field"])
        if spec is None:
            errors.append(f"{where}.field: unknown field {cond['field']!r}")
            continue
        if spec["type"] not in CHOICE_TYPES:
            errors.append(f"{where}.field: field {cond['field']!r} is a {spec['type']} field; "
                          f"an exemption can only test a select, radio or checkbox field")
            continue
        wanted = cond["in"] if "in" in cond else [cond.get("equals")]
        if spec["type"] == "checkbox":
            bad = [v for v in wanted if not isinstance(v, bool)]
        else:
            options = {o["value"] for o in spec.get("options", [])}
            bad = [v for v in wanted if v not in options]
        for value in bad:
            errors.append(f"{where}: {value!r} is not a value of field {cond['field']!r}")
    return errors
