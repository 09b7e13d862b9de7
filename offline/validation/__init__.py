"""Validators for everything an operator types: persons, documents, names, photos, card numbers, PINs.

Each validator returns a list of `offline.errors.Problem` (field key, Chinese label, rule id, Chinese
message and fix) and never raises on bad input, so a form can show every problem at once and a
service can raise `ValidationError(problems)` when the list is not empty. Split by theme:

- `ids`          GB 11643 citizen / social security numbers (R-ID-3)
- `documents`    document types, numbers, validity, nationality (R-ID-1, R-ID-2)
- `names`        names on the card, rare characters (R-APP-1, R-APP-6)
- `contact`      phone numbers and addresses (R-APP-1)
- `photo`        the HB 12 photo standard (R-APP-2)
- `person`       the whole person incl. guardians and agents (R-ID-4, R-ID-5, R-APP-1/4)
- `card_numbers` card number check character
- `pins`         new social-security PINs (R-PIN-3, R-PIN-5)
- `normalise`    what people type -> standard values, run before the validators (`norm_*`)
- `photo_fix`    a photo that can be fixed is cropped and re-encoded (R-APP-2)
- `messages`     every Chinese string of the above
"""

from offline.protocols import card_number_check_char
from offline.validation.card_numbers import validate_card_number
from offline.validation.contact import is_valid_phone, normalize_phone
from offline.validation.dates import age_on, parse_date
from offline.validation.ids import (
    id_number_problems,
    is_valid_ssn,
    ssn_birth_and_sex,
    ssn_check_digit,
    validate_ssn,
)
from offline.validation.names import name_problems, needs_provincial_route, rare_characters
from offline.validation.person import (
    PersonFacts,
    PersonInput,
    RepresentativeInput,
    person_facts,
    representative_problems,
    validate_person,
)
from offline.validation.photo import check_photo
from offline.validation.pins import check_new_pin

__all__ = [
    "PersonFacts",
    "PersonInput",
    "RepresentativeInput",
    "age_on",
    "card_number_check_char",
    "check_new_pin",
    "check_photo",
    "id_number_problems",
    "is_valid_phone",
    "is_valid_ssn",
    "name_problems",
    "needs_provincial_route",
    "normalize_phone",
    "parse_date",
    "person_facts",
    "rare_characters",
    "representative_problems",
    "ssn_birth_and_sex",
    "ssn_check_digit",
    "validate_card_number",
    "validate_person",
    "validate_ssn",
]
