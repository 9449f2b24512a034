"""Synthetic sanctions-list entities and name variants, for the screening benchmark and
the labelled quality set. No real list data: OpenSanctions' data is CC BY-NC, and a
test must not depend on who is designated today. Names are built from common Kyrgyz and
Russian name parts, so they look like the names screening meets."""

from __future__ import annotations

import random
from typing import Final

from digisom.compliance.model import Entity


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN_MALE: Final = _words(
    "Азамат Бакыт Нурлан Эрлан Талант Улан Алмаз Бектур Жыргалбек Мирлан Кубанычбек Сооронбай Алмазбек "
    "Эмил Руслан Марат Данияр Айбек Жээнбек Өмүрбек Үсөн Тимур Сергей Алексей Дмитрий Александр Иван "
    "Николай Михаил Андрей Евгений Юрий Владимир Григорий Фёдор Ильяс Чынгыз Максат Нурбек Медер Шарип"
)
GIVEN_FEMALE: Final = _words(
    "Айгүл Айжан Жылдыз Гүлнара Нургүл Асель Бегимай Чолпон Мээрим Айпери Анна Мария Елена Ольга Татьяна "
    "Наталья Светлана Юлия Екатерина Жанна"
)
SURNAME_ROOTS: Final = _words(
    "Жээнбек Атамбай Бакы Токтогул Садыр Осмон Усен Абдылда Мамыт Курман Асан Шаршен Кадыр Жапар Тагай Эшим "
    "Алымбек Сатыбалды Иван Петр Смирн Кузнец Попов Соколов Лебед Козл Новик Морозов Волк Соловь Василь Зайц "
    "Павл Семён Голуб Виноград Богдан Воробь Фёдор Михайл Белик Тарас Белов Комар Орл Киселёв Макар Андре Ковал "
    "Ильин Гусев Титов Кузьмин Кудрявц Баран Куликов Алексе Степан Яковлев Сорокин Сергеев Роман Захар Борисов "
    "Королёв Герасим Пономар Григорь Лазар Медвед Ершов Никитин Соболев Рябов Полякв Цветков Данилов Жук Фролов "
    "Журавлёв Николаев Крылов Максимов Сидоров Осипов Белоус Федотов Дорофе Егоров Матвее Бобров Дмитри Калинин"
)
SYLLABLES: Final = _words(
    "ба бе ка кы ту то са сы жа жо ма мы на ну ра ры ла лы "
    "да ды ша шы ча чы та ты ке кө ал ар ас ай ул ур"
)
ORG_WORDS: Final = _words(
    "Кыргыз Алтын Ала-Тоо Бишкек Нарын Ош Талас Иссык-Куль Азия Евразия Транс Финанс Инвест Капитал Трейд Строй "
    "Энерго Газ Металл Голд Ресурс Восток Запад Север Юг Сервис Логистик Групп Холдинг Альянс Вектор Гранит Сапат "
    "Агро Тех Нефть Уголь Медь Банк Кредит Обмен Крипто Токен Майнинг Терра Глобал Континент Экспресс"
)
ORG_FORMS_CYRILLIC: Final = ("ОсОО", "ООО", "ОАО", "ЗАО", "АО")
ORG_FORMS_LATIN: Final = ("LLC", "Ltd", "JSC", "CJSC", "Limited")
MALE_ENDINGS: Final = ("ов", "ев", "ин", "беков", "баев")
FEMALE_ENDINGS: Final = ("ова", "ева", "ина", "бекова", "баева")

# Per Cyrillic letter, the Latin spellings passports, lists and people use.
LATIN_VARIANTS: Final = {
    "а": ("a",), "б": ("b",), "в": ("v",), "г": ("g",), "д": ("d",), "е": ("e", "e", "ye"), "ё": ("yo", "e", "jo"),
    "ж": ("zh", "j", "dj"), "з": ("z",), "и": ("i",), "й": ("y", "i", "j"), "к": ("k",), "л": ("l",), "м": ("m",),
    "н": ("n",), "о": ("o",), "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u",), "ф": ("f",),
    "х": ("kh", "h", "x"), "ц": ("ts", "c", "tz"), "ч": ("ch",), "ш": ("sh",), "щ": ("shch", "sch"), "ъ": ("",),
    "ы": ("y", "i"), "ь": ("", "'"), "э": ("e",), "ю": ("yu", "iu", "ju"), "я": ("ya", "ia", "ja"),
    "ү": ("u", "ue", "ü"), "ө": ("o", "oe", "ö"), "ң": ("ng", "n"),
}  # fmt: skip


def latin(rng: random.Random, cyrillic: str) -> str:
    """`cyrillic` in one of the Latin spellings people use, chosen by `rng` for the whole name."""
    scheme = rng.randrange(3)
    out = []
    for char in cyrillic:
        lower = char.lower()
        if lower not in LATIN_VARIANTS:
            out.append(char)
            continue
        options = LATIN_VARIANTS[lower]
        if lower == "е" and out and out[-1][-1:].isalpha():
            options = ("e",)  # "ye" only where a word starts
        spelled = options[min(scheme, len(options) - 1)]
        out.append(spelled.capitalize() if char.isupper() else spelled)
    return "".join(out)


def typo(rng: random.Random, text: str) -> str:
    """`text` with one letter dropped, doubled, replaced or swapped with its neighbour."""
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    at = rng.choice(letters[1:-1] or letters)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:at] + text[at + 1 :]
    if kind == 1:
        return text[:at] + text[at] + text[at:]
    if kind == 2:
        return text[:at] + rng.choice("aeioukrstnl") + text[at + 1 :]
    if at + 1 < len(text) and text[at + 1].isalpha():
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    return text[:at] + text[at + 1 :]


def surname(rng: random.Random, female: bool) -> str:
    """A Kyrgyz- or Russian-looking surname; about half from roots, half from syllables (a large vocabulary)."""
    root = rng.choice(SURNAME_ROOTS) if rng.random() < 0.5 else \
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return root + rng.choice(FEMALE_ENDINGS if female else MALE_ENDINGS)


def patronymic(rng: random.Random, female: bool) -> str:
    """A Russian-form patronymic from a male given name."""
    father = rng.choice(GIVEN_MALE)
    if father.endswith(("й", "ь")):
        return father[:-1] + ("евна" if female else "евич")
    return father + ("овна" if female else "ович")


def person(rng: random.Random) -> tuple[str, str, str, bool]:
    """(surname, given name, patronymic, female) of a synthetic person, in Cyrillic."""
    female = rng.random() < 0.35
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    return surname(rng, female), given, patronymic(rng, female), female


def organisation(rng: random.Random) -> tuple[str, str]:
    """(legal form, name) of a synthetic organisation, in Cyrillic."""
    words = rng.sample(ORG_WORDS, rng.randint(1, 3))
    return rng.choice(ORG_FORMS_CYRILLIC), " ".join(words) + ("" if rng.random() < 0.6 else f" {rng.randint(1, 99)}")


def entities(count: int, seed: int = 7) -> list[Entity]:
    """`count` synthetic list entities: 70% people (Cyrillic name, a Latin alias), 25%
    organisations, 5% crypto wallets (EVM addresses)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, no secret
    found: list[Entity] = []
    for number in range(count):
        entity_id = f"synthetic-{number}"
        roll = rng.random()
        if roll < 0.70:
            family, given, father, _ = person(rng)
            cyrillic = f"{family} {given} {father}"
            found.append(Entity(entity_id, "Person", (cyrillic, latin(rng, f"{given} {family}"))))
        elif roll < 0.95:
            form, name = organisation(rng)
            found.append(Entity(entity_id, rng.choice(("Organization", "Company")),
                                (f"{form} «{name}»", f"{latin(rng, name)} {rng.choice(ORG_FORMS_LATIN)}")))
        else:
            address = "0x" + rng.randbytes(20).hex()
            found.append(Entity(entity_id, "CryptoWallet", (), (address,)))
    return found
