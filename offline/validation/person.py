"""A person as the application form collects them, and every check on it (R-ID-1..5, R-APP-1/2/4/6).

`validate_person` returns *all* blocking problems at once so the operator fixes the form in one
pass; an empty list means the services may proceed. Rare characters in the name (R-APP-6) are not a
problem: they change the route (provincial card centre, card mailed), which `person_facts` reports
for the service to act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from offline import codes
from offline.errors import Problem
from offline.profiles import Profile
from offline.validation import messages as m
from offline.validation.contact import address_problems, phone_problems
from offline.validation.dates import age_on, parse_date
from offline.validation.documents import (
    doc_number_problems,
    doc_type_problems,
    nationality_problems,
    normalize_doc_number,
    residence_permit_problems,
    validity_problems,
)
from offline.validation.ids import ssn_birth_and_sex
from offline.validation.names import name_problems, rare_characters
from offline.validation.photo import check_photo

#: HB 7: persons under 16 act through a guardian (R-ID-5).
GUARDIAN_AGE = 16
#: A guardian must be of full age.
ADULT_AGE = 18


@dataclass
class RepresentativeInput:
    """A guardian (R-ID-5) or an agent (R-ID-4). A unit agent gives `unit_name` and the unit letter as `proof`."""

    name: str
    doc_type: str
    doc_number: str
    relation: str
    unit_name: str = ""
    proof: str = ""  # the proof document seen: 户口簿 / 出生医学证明 / 单位介绍信 ...


@dataclass
class PersonInput:
    """The application form's person fields (R-APP-1), as typed. Dates 'YYYY-MM-DD'; '' = not given."""

    name: str
    sex: str  # GB/T 2261.1
    ethnicity: str  # GB 3304
    nationality: str  # ISO 3166-1 alpha-3
    birth_date: str  # '' = derive from the citizen number
    occupation: str
    doc_type: str  # offline.codes.DOC_TYPES
    doc_number: str
    doc_valid_from: str
    doc_valid_to: str  # '' = 长期
    household_address: str
    residence_address: str
    phone: str
    mailing_address: str = ""
    bank: str = ""
    photo: bytes | None = None
    guardian: RepresentativeInput | None = None
    agent: RepresentativeInput | None = None
    also_holds_residence_permit: bool = False  # R-ID-2
    full_capacity: bool = True  # False: without full legal capacity, needs a guardian (R-ID-5)


@dataclass(frozen=True)
class PersonFacts:
    """What the validators derive and the services use: the number, birth, sex, age and route."""

    ssn: str | None  # the citizen number when the document carries one
    birth_date: date | None
    sex: str | None
    age: int | None
    rare_name: bool  # R-APP-6: route to the provincial card centre, mail the card
    rare_chars: tuple[str, ...]


def person_facts(p: PersonInput, *, today: date) -> PersonFacts:
    """Derived facts; tolerant of invalid input (fields it cannot derive are None)."""
    ssn: str | None = None
    birth: date | None = None
    sex: str | None = None
    if p.doc_type in codes.CITIZEN_NUMBER_DOCS:
        number = normalize_doc_number(p.doc_type, p.doc_number)
        try:
            birth, sex = ssn_birth_and_sex(number)
            ssn = number
        except ValueError:
            pass
    if birth is None and p.birth_date.strip():
        birth = parse_date(p.birth_date)
    if sex is None and p.sex in codes.SEX:
        sex = p.sex
    age = age_on(birth, today) if birth is not None and birth <= today else None
    rare = tuple(rare_characters(p.name))
    return PersonFacts(ssn, birth, sex, age, bool(rare), rare)


def _is_chinese_national(p: PersonInput) -> bool:
    return p.nationality in ("CHN", "HKG", "MAC", "TWN")


def _code_problem(field: str, value: str, table: Mapping[str, str], *, required: bool) -> list[Problem]:
    if not value.strip():
        return [m.problem(field, "R-APP-1", m.REQUIRED, m.FIX_PICK)] if required else []
    if value not in table:
        return [m.problem(field, "R-APP-1", m.UNKNOWN_CODE.format(code=value), m.FIX_PICK)]
    return []


def _identity_problems(p: PersonInput, today: date) -> list[Problem]:
    """R-ID-1..3 on the principal's own document, and the typed birth date / sex against it."""
    problems = doc_type_problems(p.doc_type)
    if problems:
        return problems
    problems += doc_number_problems(p.doc_type, p.doc_number, today=today)
    problems += validity_problems(p.doc_type, p.doc_valid_from, p.doc_valid_to, today=today)
    problems += nationality_problems(p.doc_type, p.nationality)
    problems += residence_permit_problems(p.doc_type, p.also_holds_residence_permit)
    typed = parse_date(p.birth_date) if p.birth_date.strip() else None
    if p.birth_date.strip() and typed is None:
        problems.append(m.problem("birth_date", "R-APP-1", m.BAD_DATE.format(value=p.birth_date), m.FIX_DATE))
    if p.doc_type in codes.CITIZEN_NUMBER_DOCS:
        try:
            derived, derived_sex = ssn_birth_and_sex(normalize_doc_number(p.doc_type, p.doc_number))
        except ValueError:
            return problems  # the number itself is already reported
        if typed is not None and typed != derived:
            msg = m.BIRTH_MISMATCH.format(typed=typed.isoformat(), derived=derived.isoformat())
            problems.append(m.problem("birth_date", "R-ID-3", msg, m.FIX_BIRTH_MISMATCH))
        if p.sex in ("1", "2") and p.sex != derived_sex:
            msg = m.SEX_MISMATCH.format(typed=codes.SEX[p.sex], derived=codes.SEX[derived_sex])
            problems.append(m.problem("sex", "R-ID-3", msg, m.FIX_SEX_MISMATCH))
    elif not p.birth_date.strip():
        problems.append(m.problem("birth_date", "R-ID-3", m.BIRTH_REQUIRED, m.FIX_FILL))
    elif typed is not None and typed > today:
        problems.append(m.problem("birth_date", "R-APP-1", m.BIRTH_FUTURE, m.FIX_DATE))
    return problems


def representative_problems(
    rep: RepresentativeInput, *, role: str, today: date, principal_number: str = ""
) -> list[Problem]:
    """R-ID-4 / R-ID-5: a representative's own document, relation and proof. `role` = 'guardian' | 'agent'."""
    rule = "R-ID-5" if role == "guardian" else "R-ID-4"
    problems: list[Problem] = []
    mainland = rep.doc_type not in (codes.DOC_FOREIGN_PASSPORT, codes.DOC_FOREIGN_PERMANENT_RESIDENCE)
    problems += [
        _with_rule(x, rule) for x in name_problems(rep.name, mainland=mainland, field=f"{role}.name")
    ]
    type_problems = doc_type_problems(rep.doc_type, field=f"{role}.doc_type")
    problems += [_with_rule(x, rule) if x.rule != "R-ID-1" else x for x in type_problems]
    number = normalize_doc_number(rep.doc_type, rep.doc_number)
    if not type_problems:
        problems += doc_number_problems(rep.doc_type, rep.doc_number, field=f"{role}.doc_number", today=today)
        if principal_number and number == principal_number:
            problems.append(m.problem(f"{role}.doc_number", rule, m.AGENT_SAME_PERSON, m.FIX_AGENT_SAME))
    if not rep.relation:
        problems.append(m.problem(f"{role}.relation", rule, m.REQUIRED, m.FIX_PICK))
    elif rep.relation not in codes.RELATIONS:
        msg = m.RELATION_UNKNOWN.format(value=rep.relation)
        problems.append(m.problem(f"{role}.relation", rule, msg, m.FIX_PICK))
    elif role == "guardian" and rep.relation not in codes.GUARDIAN_RELATIONS:
        msg = m.GUARDIAN_RELATION.format(value=codes.RELATIONS[rep.relation])
        problems.append(m.problem("guardian.relation", rule, msg, m.FIX_GUARDIAN_RELATION))
    if role == "guardian":
        if not rep.proof.strip():
            problems.append(m.problem("guardian.proof", rule, m.GUARDIAN_PROOF, m.FIX_GUARDIAN_PROOF))
        if rep.doc_type in codes.CITIZEN_NUMBER_DOCS:
            try:
                birth, _ = ssn_birth_and_sex(number)
            except ValueError:
                birth = None
            if birth is not None and birth <= today and age_on(birth, today) < ADULT_AGE:
                problems.append(
                    m.problem("guardian.doc_number", rule, m.GUARDIAN_MINOR, m.FIX_GUARDIAN_MINOR)
                )
    if rep.relation == codes.REL_UNIT:
        if not rep.unit_name.strip():
            problems.append(m.problem(f"{role}.unit_name", rule, m.UNIT_NAME_REQUIRED, m.FIX_FILL))
        if not rep.proof.strip():
            problems.append(m.problem(f"{role}.proof", rule, m.UNIT_LETTER_REQUIRED, m.FIX_UNIT_LETTER))
    return problems


def _with_rule(p: Problem, rule: str) -> Problem:
    return Problem(field=p.field, rule=rule, message=p.message, fix=p.fix, label=p.label)


def validate_person(
    p: PersonInput, *, today: date, profile: Profile, for_application: bool = True
) -> list[Problem]:
    """Every blocking problem of a person record; [] = acceptable.

    `for_application=True` (申领, and the data of 补换领) also requires the R-APP-1 fields, the
    cooperating bank (R-APP-4) and the photo (R-APP-2). With False (information change, queries,
    PIN services) only what is given is checked, plus the identity rules, which always apply.
    """
    # What was typed is first brought to its standard form (2020.1.1, 农民, 农行 …); a value that is
    # not understood is reported once, by the normaliser, with the closest valid choices.
    from offline.validation.normalise import merge_problems, normalise_person

    p, understood = normalise_person(p, banks=profile.banks)
    return merge_problems(
        understood, _person_problems(p, today=today, profile=profile, for_application=for_application)
    )


def _person_problems(
    p: PersonInput, *, today: date, profile: Profile, for_application: bool
) -> list[Problem]:
    problems: list[Problem] = []
    chinese = _is_chinese_national(p)
    # HB 37: a Hong Kong, Macau or Taiwan resident whose permit shows only a Latin name applies
    # under that name; a mainland citizen's name is always in Chinese characters.
    latin_only = not any(0x3400 <= ord(c) <= 0x9FFF or ord(c) >= 0x20000 for c in p.name)
    mainland_name = chinese and not (p.nationality in ("HKG", "MAC", "TWN") and latin_only)
    problems += name_problems(p.name, mainland=mainland_name)
    problems += _code_problem("sex", p.sex, codes.SEX, required=True)
    problems += _code_problem("ethnicity", p.ethnicity, codes.ETHNICITY, required=chinese and for_application)
    problems += _code_problem("nationality", p.nationality, codes.NATIONALITY, required=True)
    problems += _identity_problems(p, today)
    facts = person_facts(p, today=today)
    age = facts.age
    # R-ID-1: the Chinese passport of a 华侨 is a document of HN 3 only (HB 5 does not list it).
    if p.doc_type == codes.DOC_CN_PASSPORT and not profile.overseas_chinese_passport:
        problems.append(
            m.problem(
                "doc_type", "R-ID-1", "华侨凭中国护照申办为湖南省规定（HN 3），本省未列入有效证件", m.FIX_PICK
            )
        )
    # R-ID-1: the household register only below the province's age (HB 5(1)).
    if (
        p.doc_type == codes.DOC_HOUSEHOLD_REGISTER
        and age is not None
        and age >= profile.household_register_max_age
    ):
        msg = m.DOC_HOUSEHOLD_AGE.format(age=profile.household_register_max_age, years=age)
        problems.append(m.problem("doc_type", "R-ID-1", msg, m.FIX_HOUSEHOLD_AGE))
    principal = facts.ssn or normalize_doc_number(p.doc_type, p.doc_number)
    # R-ID-5: minors and persons without full capacity act through a guardian.
    needs_guardian = (age is not None and age < GUARDIAN_AGE) or not p.full_capacity
    if p.guardian is not None:
        problems += representative_problems(
            p.guardian, role="guardian", today=today, principal_number=principal
        )
    elif needs_guardian:
        msg = (
            m.GUARDIAN_REQUIRED_CAPACITY
            if p.full_capacity is False
            else m.GUARDIAN_REQUIRED_MINOR.format(age=GUARDIAN_AGE)
        )
        problems.append(m.problem("guardian", "R-ID-5", msg, m.FIX_GUARDIAN))
    # R-ID-4: an agent brings their own document; a unit also its letter.
    if p.agent is not None:
        problems += representative_problems(p.agent, role="agent", today=today, principal_number=principal)
    problems += _application_problems(p, profile=profile, for_application=for_application, facts=facts)
    return problems


def _application_problems(
    p: PersonInput, *, profile: Profile, for_application: bool, facts: PersonFacts
) -> list[Problem]:
    """R-APP-1 contact fields, R-APP-4 bank, R-APP-2 photo, R-APP-6 mailing address."""
    req = for_application
    mainland_doc = p.doc_type in (
        codes.DOC_RESIDENT_ID,
        codes.DOC_TEMP_RESIDENT_ID,
        codes.DOC_HOUSEHOLD_REGISTER,
    )
    problems = _code_problem("occupation", p.occupation, codes.OCCUPATIONS, required=req)
    problems += address_problems(
        p.household_address, field="household_address", required=req and mainland_doc
    )
    problems += address_problems(p.residence_address, field="residence_address", required=req)
    problems += phone_problems(p.phone, required=req, international=p.nationality != "CHN")
    if facts.rare_name and req:
        if not p.mailing_address.strip():
            problems.append(m.problem("mailing_address", "R-APP-6", m.MAILING_REQUIRED, m.FIX_MAILING))
        else:
            problems += address_problems(p.mailing_address, field="mailing_address", required=False)
    else:
        problems += address_problems(p.mailing_address, field="mailing_address", required=False)
    if not p.bank.strip():
        if req:
            problems.append(m.problem("bank", "R-APP-4", m.REQUIRED, m.FIX_BANK))
    elif p.bank not in profile.banks:
        problems.append(m.problem("bank", "R-APP-4", m.BANK_UNKNOWN.format(value=p.bank), m.FIX_BANK))
    if req:
        age = facts.age if facts.age is not None else profile.cartoon_age
        problems += check_photo(p.photo, age_years=age, cartoon_age=profile.cartoon_age)
    return problems
