"""The one fingerprint layout (IOS's groups of 8 hex digits) and the compare of a typed
fingerprint with a CA's digests (pkitui.core.fingerprint)."""

from __future__ import annotations

import pytest

from pkitui.core.fingerprint import Digest, MatchState, compare, digest_of, grouped, grouped_lines, groups

FPS = {"sha256": "19DE283EAAC992A7BBFEE8987557ADAE22634DF8123755AABF84F1F3593D7DE1",
       "sha1": "E408D280B108A3D77205BB2FECDD261F9158DC74",
       "md5": "BB45C943BF860EA5A480E481CC257B5C"}


def test_layout_is_ios_groups_of_eight() -> None:
    assert groups("bb45c943bf860ea5a4") == ["BB45C943", "BF860EA5", "A4"]
    assert grouped(FPS["md5"]) == "BB45C943 BF860EA5 A480E481 CC257B5C"
    assert grouped_lines(FPS["sha256"], per_line=4) == ["19DE283E AAC992A7 BBFEE898 7557ADAE",
                                                        "22634DF8 123755AA BF84F1F3 593D7DE1"]
    assert grouped_lines("") == []
    assert digest_of("SHA-256") is Digest.SHA256 and digest_of("sha1") is Digest.SHA1
    assert Digest.SHA1.label == "SHA-1"


@pytest.mark.parametrize("digest", list(Digest))
def test_each_whole_digest_matches(digest: Digest) -> None:
    m = compare(FPS[digest], FPS)
    assert m.matched and m.state is MatchState.MATCH and m.digest is digest and m.first_bad is None


def test_separators_and_case_are_ignored() -> None:
    assert compare("bb45 c943 bf86 0ea5 a480 e481 cc25 7b5c", FPS).digest is Digest.MD5
    assert compare("bb:45:c9:43:bf:86:0e:a5:a4:80:e4:81:cc:25:7b:5c", FPS).matched
    assert compare("E408-D280.B108 A3D7\t7205BB2FECDD261F9158DC74", FPS).digest is Digest.SHA1


def test_partial_input_is_a_correct_beginning() -> None:
    assert compare("", FPS).state is MatchState.EMPTY
    assert compare(" : ", FPS).state is MatchState.EMPTY
    m = compare("19:de:28", FPS)
    assert m.state is MatchState.PARTIAL and m.digest is Digest.SHA256 and not m.matched
    assert m.good_digits == 6
    assert compare("E408D280 B1", FPS).digest is Digest.SHA1


def test_first_wrong_group() -> None:
    wrong = compare(FPS["sha256"][:-1] + "2", FPS)
    assert wrong.state is MatchState.MISMATCH and wrong.digest is Digest.SHA256 and wrong.first_bad == 7
    assert compare("E408D2FF", FPS).first_bad == 0  # a typo in the first group
    early = compare("19DE283E AAC992A7 BBFEE899", FPS)  # a wrong digit in group 3, input incomplete
    assert early.state is MatchState.MISMATCH and early.first_bad == 2
    assert early.typed_groups[2] == "BBFEE899" and early.expected_groups[2] == "BBFEE898"


def test_the_digest_of_the_typed_length_is_compared() -> None:
    """A 40-digit text is compared with the SHA-1, even when it starts like the SHA-256."""
    m = compare(FPS["sha256"][:40], FPS)
    assert m.digest is Digest.SHA1 and m.first_bad == 0


def test_too_many_digits_is_a_mismatch_after_the_end() -> None:
    m = compare(FPS["sha256"] + "00", FPS)
    assert m.state is MatchState.MISMATCH and m.first_bad == 8 and len(m.expected_groups) == 8
