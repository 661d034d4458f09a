from mdtable import render


def test_all_lines_same_length():
    text = render(["a", "bb"], [["long value", 1], ["x", 123456]], align={"bb": "center"})
    assert len({len(line) for line in text.splitlines()}) == 1


def test_pipe_escaped_and_widened():
    lines = render(["c"], [["a|b"]]).splitlines()
    assert lines[2] == "| a\\|b |"
    assert lines[0] == "| c    |"
