"""Names reduced to keys the same way in either script, with Kyrgyz and Russian forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisom.compliance.names import name_tokens
from digisom.compliance.scoring import score_tokens


def keys(name: str) -> list[str]:
    return sorted(token.key for token in name_tokens(name) if not token.optional)


@pytest.mark.parametrize(("cyrillic", "latin"), [
    ("Жээнбеков Сооронбай", "Jeenbekov Sooronbai"),
    ("Жээнбеков Сооронбай", "Zheenbekov Sooronbay"),
    ("Хасанов Шарип", "Hasanov Sharip"),
    ("Хасанов Шарип", "Khasanov Sharip"),
    ("Цой Виктор", "Tsoi Viktor"),
    ("Щукин Юрий", "Shchukin Yuriy"),
    ("Дмитрий Ильин", "Dmitrii Il'in"),
    ("Үсөн Өмүрбек", "Üsön Ömürbek"),
    ("Үсөн Өмүрбек", "Uson Omurbek"),
    ("Алексей Соколов", "Aleksei Sokolov"),
])
def test_a_name_and_its_latin_spellings_share_their_keys(cyrillic: str, latin: str) -> None:
    assert keys(cyrillic) == keys(latin)


@pytest.mark.parametrize(("listed", "query"), [
    ("ОсОО «Олд Вектор»", "Old Vector LLC"),
    ("Общество с ограниченной ответственностью «Гринекс»", "Grinex Ltd"),
    ("ОАО Кыргыз Алтын", "Kyrgyz Altyn JSC"),
    ("ЗАО «Восток»", "Vostok CJSC"),
])
def test_legal_forms_do_not_count(listed: str, query: str) -> None:
    assert keys(listed) == keys(query)


@pytest.mark.parametrize("spelling",
                         ["Azamat Bakyt uulu", "Azamat Bakytuulu", "Bakyt uulu Azamat", "Azamat Bakyt-uulu"])
def test_uulu_glued_or_not_keeps_the_fathers_name(spelling: str) -> None:
    assert keys(spelling) == keys("Азамат Бакыт уулу")


def test_kyzy_like_uulu() -> None:
    assert keys("Айгүл Бакыт кызы") == keys("Aigul Bakytkyzy")


def test_a_patronymic_on_one_side_only_costs_nothing() -> None:
    with_patronymic = name_tokens("Иванов Сергей Петрович")
    assert [token.optional for token in with_patronymic] == [False, False, True]
    assert score_tokens(name_tokens("Sergei Ivanov"), with_patronymic) == 1000


def test_a_different_patronymic_costs() -> None:
    assert score_tokens(name_tokens("Ivanov Sergei Nikolaevich"), name_tokens("Иванов Сергей Петрович")) < 920


def test_a_missing_surname_is_not_a_hit() -> None:
    assert score_tokens(name_tokens("Sergei"), name_tokens("Иванов Сергей")) < 800


WORDS = st.lists(st.text(alphabet="абвгдежзиклмнопрстуфхцчшыэюяүөң", min_size=2, max_size=10), min_size=1, max_size=4)


@given(WORDS, st.randoms())
def test_word_order_never_changes_the_keys(words: list[str], rng: object) -> None:
    shuffled = list(words)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert keys(" ".join(words)) == keys(" ".join(shuffled))


@given(WORDS)
def test_a_name_scores_1000_against_itself_in_either_case(words: list[str]) -> None:
    name = " ".join(words)
    tokens = name_tokens(name)
    if tokens:
        assert score_tokens(tokens, name_tokens(name.upper())) == 1000
