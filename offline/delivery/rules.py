"""Who may take whose card at the door (R-ISS-7).

A retired person's card only to the holder in person (HN 11(11)); a card of a person without full
capacity only to the guardian; a migrant worker's card to the holder, spouse, child or parent;
everyone else to the holder or one of the relations in `DELIVERY_RELATIONS`. Any other relation
is refused with R-ISS-7.
"""

from __future__ import annotations

from offline.codes import REL_CHILD, REL_PARENT, REL_SPOUSE
from offline.errors import Problem

DELIVERY_RELATIONS: dict[str, str] = {
    "holder": "本人",
    "guardian": "监护人",
    REL_SPOUSE: "配偶",
    REL_CHILD: "子女",
    REL_PARENT: "父母",
}
CATEGORY_RELATIONS: dict[str, frozenset[str]] = {
    "": frozenset(DELIVERY_RELATIONS),
    "retired": frozenset({"holder"}),
    "incapacitated": frozenset({"guardian"}),
    "migrant": frozenset({"holder", REL_SPOUSE, REL_CHILD, REL_PARENT}),
}
CATEGORY_RULE_ZH: dict[str, str] = {
    "retired": "退休人员的卡须当面发放给本人（HN 11(11)）",
    "incapacitated": "无完全民事行为能力人的卡只能发放给其监护人",
    "migrant": "外出务工人员的卡只能由本人或其配偶、子女、父母签收",
    "": "上门发放只能交本人，或其监护人、配偶、子女、父母",
}
MSG_BAD_RELATION = "领卡人关系“{relation}”不在允许范围内"


def relation_problems(category: str, relation: str) -> list[Problem]:
    """R-ISS-7: may `relation` take the card of a holder of `category`?"""
    if category not in CATEGORY_RELATIONS:
        return [
            Problem("category", "R-ISS-7", f"人员类别“{category}”无效", "请重新选择人员类别。", "人员类别")
        ]
    if relation not in DELIVERY_RELATIONS:
        return [
            Problem(
                "relation",
                "R-ISS-7",
                MSG_BAD_RELATION.format(relation=relation),
                CATEGORY_RULE_ZH[""] + "；其他人不能代领，请改日再送。",
                "领卡人",
            )
        ]
    if relation not in CATEGORY_RELATIONS[category]:
        return [
            Problem(
                "relation",
                "R-ISS-7",
                CATEGORY_RULE_ZH[category],
                "请由符合条件的人签收，或改日再送。",
                "领卡人",
            )
        ]
    return []
