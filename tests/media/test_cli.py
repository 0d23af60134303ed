"""The strip-metadata command: writes a clean file, or nothing and one line of why."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from tests.media import samples
from trove.media import strip_metadata
from trove.media.cli import strip_metadata_command


def run(*args: str) -> Result:
    return CliRunner().invoke(strip_metadata_command, list(args))


def test_command_is_named_strip_metadata() -> None:
    assert strip_metadata_command.name == "strip-metadata"


def test_strips_into_output(tmp_path: Path) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(
        samples.insert_after_soi(samples.jpeg(exif=samples.exif_bytes()), samples.xmp_segment())
    )
    target = tmp_path / "out.jpg"
    result = run(str(source), str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == strip_metadata(source.read_bytes())
    assert [path.name for path in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".*.tmp"))


def test_overwrites_an_existing_output(tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    source.write_bytes(samples.png())
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    assert run(str(source), str(target)).exit_code == 0
    assert target.read_bytes() == strip_metadata(source.read_bytes())


def test_bad_input_exits_1_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    cases = {
        "text.jpg": b"just text, renamed\n",
        "empty.jpg": b"",
        "truncated.jpg": samples.jpeg()[:300],
        "garbage.jpg": samples.jpeg()[:40] + b"\x00garbage" * 20,
    }
    for name, data in cases.items():
        source = tmp_path / name
        source.write_bytes(data)
        target = tmp_path / f"out-{name}"
        result = run(str(source), str(target))
        assert result.exit_code == 1, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output
        assert lines[0].startswith(str(source))
        assert not target.exists()
    assert not list(tmp_path.glob(".*"))


def test_missing_input_is_a_one_line_error(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.jpg"), str(tmp_path / "out.jpg"))
    assert result.exit_code == 1
    assert "No such file" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unwritable_output_is_a_one_line_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(samples.jpeg())
    result = run(str(source), str(tmp_path / "missing-dir" / "out.jpg"))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1


def test_many_inputs_go_into_a_folder_and_each_bad_one_is_one_line(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = {"a.jpg": samples.jpeg(exif=samples.exif_bytes()), "b.png": samples.png()}
    for name, data in good.items():
        (inputs / name).write_bytes(data)
    (inputs / "bad.jpg").write_bytes(b"just text, renamed\n")
    out = tmp_path / "out"
    out.mkdir()
    names = ["a.jpg", "bad.jpg", "b.png"]
    result = run(*[str(inputs / name) for name in names], "--out", str(out))
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(str(inputs / "bad.jpg"))
    assert sorted(path.name for path in out.iterdir()) == ["a.jpg", "b.png"]
    for name, data in good.items():
        assert (out / name).read_bytes() == strip_metadata(data)


def test_two_arguments_without_a_folder_are_input_and_output_only(tmp_path: Path) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(samples.jpeg())
    result = run(str(source), str(source), str(tmp_path / "third.jpg"))
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1


def test_the_command_and_the_media_package_load_without_flask(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    source = tmp_path / "in.jpg"
    source.write_bytes(samples.jpeg(exif=samples.exif_bytes()))
    code = (
        "import sys; sys.argv = ['strip-metadata', *sys.argv[1:]];"
        "import trove.media.cli as cli\n"
        "try:\n    cli.strip_metadata_command()\n"
        "except SystemExit as done:\n"
        "    loaded = sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy'})\n"
        "    print(done.code, loaded)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code, str(source), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.stdout.strip() == "0 []", result.stderr
    assert (tmp_path / "out" / "in.jpg").exists()


def test_structure_only_skips_the_decode_but_not_the_parse(tmp_path: Path) -> None:
    good = samples.phone_jpeg()
    data = bytearray(samples.jpeg(samples.picture(320, 240)))
    sof = data.index(b"\xff\xc0")
    data[sof + 11] = 0x44  # luma sampled 4x4: well-formed, but libjpeg cannot decode it
    inputs = {"good.jpg": good, "undecodable.jpg": bytes(data), "cut.jpg": good[:4000]}
    for name, content in inputs.items():
        (tmp_path / name).write_bytes(content)
    sources = [str(tmp_path / name) for name in inputs]

    checked = run(*sources, "--out", str(tmp_path / "checked"))
    fast = run(*sources, "--out", str(tmp_path / "fast"), "--structure-only")

    assert checked.exit_code == fast.exit_code == 1
    assert sorted(path.name for path in (tmp_path / "checked").iterdir()) == ["good.jpg"]
    assert sorted(path.name for path in (tmp_path / "fast").iterdir()) == [
        "good.jpg",
        "undecodable.jpg",
    ]
    assert (tmp_path / "fast" / "good.jpg").read_bytes() == strip_metadata(good)
    assert (tmp_path / "checked" / "good.jpg").read_bytes() == strip_metadata(good)
    [line] = fast.stderr.strip().splitlines()
    assert line.startswith(sources[2])
