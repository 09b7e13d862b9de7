"""Loss reports of the social-security function (items 5-7): temporary, formal, lifting, expiry.

Rules: R-LOSS-1 (temporary loss can be lifted, formal loss cannot — HB 29; in Hunan a formal
loss is lifted only at the bank, HN 22, and that arrives by downlink, R-LOSS-4), R-LOSS-2
(a temporary loss expires by itself after `profile.temp_loss_expiry_days`, HN 21; none in
Hubei), R-LOSS-3 (lifting is refused once a replacement was applied for, HB 30).

Expiry is applied lazily by `expire_temp_losses` (called at start-up and before card
queries): each expiry is its own committed business so that it syncs like any other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import Problem, ValidationError
from offline.lifecycle import CARD_LABELS
from offline.services.card_common import card_by_id, doc_problems, person_by_id, refuse

REPORTERS = {"holder": "本人", "agent": "代办人"}


@dataclass(frozen=True)
class TempLossInput:
    card_id: int
    verbal: bool  # reported by phone / without a document (allowed for a temporary loss)
    doc_number: str = ""  # the holder's document, when shown
    reporter: str = "holder"  # 'holder' | 'agent'
    reporter_name: str = ""
    note: str = ""


@dataclass(frozen=True)
class FormalLossInput:
    card_id: int
    doc_number: str  # the holder's document is required (written loss report)
    reporter: str = "holder"
    reporter_name: str = ""
    reporter_doc_number: str = ""


@dataclass(frozen=True)
class LiftLossInput:
    card_id: int
    doc_number: str


def _card(
    conn: sqlite3.Connection, card_id: int, allowed: tuple[str, ...], rule: str, what: str
) -> sqlite3.Row:
    card = card_by_id(conn, card_id)
    if card["status"] not in allowed:
        refuse(
            "card_id",
            rule,
            f"卡当前为“{CARD_LABELS.get(card['status'], card['status'])}”，不能办理{what}",
            "请先查询卡状态。",
            "卡状态",
        )
    return card


def report_temp_loss(ctx: ServiceContext, inp: TempLossInput) -> BusinessResult:
    """临时挂失: verbal allowed; expires after the province's days when set. R-LOSS-1, R-LOSS-2."""
    with begin_business(ctx, "temp_loss") as biz:
        conn = biz.conn
        card = _card(conn, inp.card_id, ("issued",), "R-LOSS-1", "临时挂失")
        person = person_by_id(conn, int(card["person_id"]))
        problems: list[Problem] = []
        if not inp.verbal:
            problems += doc_problems(person, inp.doc_number, rule="R-LOSS-1")
        if inp.reporter not in REPORTERS:
            problems.append(
                Problem("reporter", "R-LOSS-1", "挂失人类型无效", "请选择本人或代办人。", "挂失人")
            )
        if problems:
            raise ValidationError(problems)
        days = ctx.profile.temp_loss_expiry_days
        # HN 21: only a verbal (口头) loss lapses after 7 days; one reported with the holder's
        # document stands until lifted or made formal.
        expires = (
            (ctx.now() + timedelta(days=int(days))).isoformat(timespec="seconds")
            if days and inp.verbal
            else ""
        )
        biz.move_card(
            card,
            "temp_lost",
            loss_reported_at=biz.at,
            loss_expires_at=expires,
            loss_verbal=int(inp.verbal),
            loss_source="station",
        )
        summary = f"临时挂失：{person['name']} 卡号 {card['card_number']}" + (
            "（口头）" if inp.verbal else ""
        )
        if expires:
            summary += f"，{expires[:10]} 自动解除"
        return biz.commit(
            person_id=card["person_id"],
            card_id=card["id"],
            summary=summary,
            details={
                "action": "temp_loss",
                "card_number": card["card_number"],
                "verbal": inp.verbal,
                "reporter": inp.reporter,
                "reporter_name": inp.reporter_name,
                "expires_at": expires,
                "note": inp.note,
                "reminder": "金融账户挂失请拨打发卡银行服务电话或到银行网点办理。",
                "rules": ["R-LOSS-1", "R-LOSS-2"],
            },
        )


def report_formal_loss(ctx: ServiceContext, inp: FormalLossInput) -> BusinessResult:
    """正式挂失 with the holder's document; cannot be lifted at the station afterwards. R-LOSS-1."""
    with begin_business(ctx, "formal_loss") as biz:
        conn = biz.conn
        card = _card(conn, inp.card_id, ("issued", "temp_lost"), "R-LOSS-1", "正式挂失")
        person = person_by_id(conn, int(card["person_id"]))
        problems = doc_problems(person, inp.doc_number, rule="R-LOSS-1")
        if inp.reporter != "holder" and not (inp.reporter_name.strip() and inp.reporter_doc_number.strip()):
            problems.append(
                Problem(
                    "reporter_doc_number",
                    "R-ID-4",
                    "代办须录入代办人姓名和证件号码",
                    "请核验代办人身份证件原件并录入。",
                    "代办人证件",
                )
            )
        if inp.reporter != "holder":
            from offline.validation import id_number_problems

            problems += id_number_problems(inp.reporter_doc_number, field="reporter_doc_number")
        if problems:
            raise ValidationError(problems)
        biz.move_card(
            card,
            "lost",
            loss_reported_at=biz.at,
            loss_expires_at="",
            loss_verbal=0,
            loss_source="station",
        )
        return biz.commit(
            person_id=card["person_id"],
            card_id=card["id"],
            summary=f"正式挂失：{person['name']} 卡号 {card['card_number']}（不能解挂，可办理补领）",
            details={
                "action": "formal_loss",
                "card_number": card["card_number"],
                "reporter": inp.reporter,
                "reporter_name": inp.reporter_name,
                "reporter_doc_number": inp.reporter_doc_number,
                "reminder": "金融账户须另行到发卡银行办理挂失（HB 28, HB 31）。",
                "rules": ["R-LOSS-1"],
            },
        )


def _replacement_applied(conn: sqlite3.Connection, card: sqlite3.Row) -> bool:
    """R-LOSS-3: a replacement application for this card (or the person since the loss) is in flight."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(applications)")}
    if "replaces_card_id" in cols:
        row = conn.execute(
            "SELECT 1 FROM applications WHERE replaces_card_id = ? AND status NOT IN ('rejected', 'cancelled')",
            (card["id"],),
        ).fetchone()
        if row is not None:
            return True
    row = conn.execute(
        "SELECT 1 FROM applications WHERE person_id = ? AND kind = 'replace' AND created_at >= ?"
        " AND status NOT IN ('rejected', 'cancelled')",
        (card["person_id"], card["loss_reported_at"]),
    ).fetchone()
    return row is not None


def lift_loss(ctx: ServiceContext, inp: LiftLossInput) -> BusinessResult:
    """解挂 of a temporary loss, before any replacement was applied for. R-LOSS-1, R-LOSS-3."""
    with begin_business(ctx, "lift_loss") as biz:
        conn = biz.conn
        card = card_by_id(conn, inp.card_id)
        if card["status"] == "lost":
            if ctx.profile.formal_loss_liftable:
                refuse(
                    "card_id",
                    "R-LOSS-1",
                    "正式（书面）挂失的卡不能在本站解挂",
                    "请持卡人到原书面挂失的发卡银行网点办理解挂（HN 22），解挂结果将由卡管系统下发。",
                    "卡状态",
                )
            refuse(
                "card_id", "R-LOSS-1", "正式挂失的卡不能解除挂失（HB 29）", "如需用卡请办理补领。", "卡状态"
            )
        if card["status"] != "temp_lost":
            refuse(
                "card_id",
                "R-LOSS-1",
                f"卡当前为“{CARD_LABELS.get(card['status'], card['status'])}”，没有可解除的挂失",
                "请先查询卡状态。",
                "卡状态",
            )
        person = person_by_id(conn, int(card["person_id"]))
        problems = doc_problems(person, inp.doc_number, rule="R-LOSS-1")
        if _replacement_applied(conn, card):
            problems.append(
                Problem(
                    "card_id",
                    "R-LOSS-3",
                    "已申请补领，不能再解除挂失（HB 30）",
                    "请等待新卡；找回的旧卡按规定交回注销。",
                    "卡状态",
                )
            )
        if problems:
            raise ValidationError(problems)
        biz.move_card(card, "issued", loss_expires_at="", loss_verbal=0, loss_source="")
        return biz.commit(
            person_id=card["person_id"],
            card_id=card["id"],
            summary=f"解除临时挂失：{person['name']} 卡号 {card['card_number']}",
            details={
                "action": "lift_loss",
                "card_number": card["card_number"],
                "rules": ["R-LOSS-1", "R-LOSS-3"],
            },
        )


def expire_temp_losses(ctx: ServiceContext) -> int:
    """R-LOSS-2: lift every temporary loss past its expiry; one committed business each, by the system.

    No permission check: this is the station applying a rule on its own (HN 21 "自动解除"), not an
    operator's choice; the business names the session's operator as the one present.
    """
    now = ctx.now_iso()
    due = ctx.store.query(
        "SELECT id FROM cards WHERE status = 'temp_lost' AND loss_expires_at != ''"
        " AND loss_expires_at <= ? ORDER BY id",
        (now,),
    )
    done = 0
    for row in due:
        with ctx.store.write() as conn:  # the business below joins this transaction
            card = card_by_id(conn, int(row["id"]))
            if card["status"] != "temp_lost" or not card["loss_expires_at"] or card["loss_expires_at"] > now:
                continue  # lifted or made formal meanwhile
            with begin_business(ctx, "lift_loss", by_station=True) as biz:
                biz.move_card(card, "issued", loss_expires_at="", loss_verbal=0, loss_source="")
                biz.commit(
                    person_id=card["person_id"],
                    card_id=card["id"],
                    summary=f"临时挂失到期自动解除：卡号 {card['card_number']}",
                    details={
                        "action": "temp_loss_expired",
                        "card_number": card["card_number"],
                        "by": "system",
                        "expired_at": card["loss_expires_at"],
                        "rules": ["R-LOSS-2"],
                    },
                )
            done += 1
    return done
