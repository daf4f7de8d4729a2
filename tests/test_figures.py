"""The exercise pictures (backpain_cli/output/figures.py, poses.toml): one per library
exercise, each a valid, self-contained SVG with its text alternative first, every shape
inside its viewBox, strokes with enough contrast, the same bytes every time; and the
committed contact sheets (docs/pictures.html, docs/exercises.html) are what the generator
writes."""

from __future__ import annotations

import html
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from depth import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from backpain_cli.clinical.exercises import library
from backpain_cli.output import figures
from backpain_cli.output.exercise_sheet import exercise_sheet_html
from backpain_cli.output.figures import (
    Picture,
    PictureError,
    Pose,
    UnknownPicture,
    contact_sheet_html,
    definition,
    parse_picture,
    picture,
    picture_ids,
    picture_title,
    render,
    scene,
)

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"

# the clinical reference v3, Appendix A, in its order (the library's ids are a public contract).
LIBRARY = (
    "ex.pelvic_tilt", "ex.knee_rolls", "ex.cat_camel", "ex.knees_to_chest", "ex.childs_pose",
    "ex.prone_prop", "ex.back_extension_prone", "ex.wall_posture", "ex.shoulder_squeeze",
    "ex.hip_flexor_stretch", "ex.hamstring_stretch", "ex.glute_stretch", "ex.bridge",
    "ex.bird_dog", "ex.dead_bug", "ex.side_plank_knees", "ex.curl_up", "ex.sit_to_stand",
    "ex.lunge", "ex.step_up", "ex.heel_raises", "ex.single_leg_stand", "ex.heel_toe_walk",
    "ex.walking", "ex.stationary_bike", "ex.water_exercise", "ex.pelvic_floor",
    "ex.rest_position",
)

# Only drawing elements: no <image>, <script>, <use>, <foreignObject>, <style> or <text>
# (no fonts needed, nothing fetched).
ALLOWED = {"svg", "title", "desc", "g", "path", "circle", "rect"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.attrib["viewBox"].split())
    return x, y, w, h


def path_points(d: str) -> list[tuple[float, float]]:
    """The end points of a path's commands (M, L, A, Z: all the model writes)."""
    points: list[tuple[float, float]] = []
    for command, args in re.findall(r"([MLAZ])([^MLAZ]*)", d):
        nums = [float(v) for v in args.split()]
        if command in "ML":
            points.append((nums[0], nums[1]))
        elif command == "A":
            assert len(nums) == 7, d
            points.append((nums[5], nums[6]))
        else:
            assert nums == [], d
    return points


def extents(root: ET.Element) -> list[tuple[float, float, float, float]]:
    """Every shape's extent (x0, y0, x1, y1) as written in the SVG, strokes included."""
    out: list[tuple[float, float, float, float]] = []

    def walk(node: ET.Element, stroke: float) -> None:
        width = float(node.attrib.get("stroke-width", stroke)) if node.attrib.get(
            "stroke", "") else stroke
        tag = node.tag.removeprefix(SVG)
        half = width / 2
        if tag == "circle":
            cx, cy, r = (float(node.attrib[k]) for k in ("cx", "cy", "r"))
            out.append((cx - r - half, cy - r - half, cx + r + half, cy + r + half))
        elif tag == "rect":
            x, y, w, h = (float(node.attrib[k]) for k in ("x", "y", "width", "height"))
            out.append((x - half, y - half, x + w + half, y + h + half))
        elif tag == "path":
            for px, py in path_points(node.attrib["d"]):
                out.append((px - half, py - half, px + half, py + half))
        for child in node:
            walk(child, width)

    walk(root, 0.0)
    return out


def test_every_library_exercise_has_one_picture_in_library_order() -> None:
    assert picture_ids() == LIBRARY


@pytest.mark.parametrize("exercise_id", LIBRARY)
def test_the_picture_is_an_svg_with_its_text_alternative_first(exercise_id: str) -> None:
    root = parse(picture(exercise_id))
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    x, y, w, h = view_box(root)
    assert (x, y) == (0, 0) and w > 0 and h > 0
    assert (float(root.attrib["width"]), float(root.attrib["height"])) == (w, h)
    title = root[0]
    assert title.tag == f"{SVG}title"
    assert title.text == picture_title(exercise_id)
    assert title.text.strip() != ""
    assert len(root.findall(f"{SVG}title")) == 1


@pytest.mark.parametrize("exercise_id", LIBRARY)
def test_every_shape_lies_inside_the_view_box(exercise_id: str) -> None:
    root = parse(picture(exercise_id))
    _, _, w, h = view_box(root)
    shapes = extents(root)
    assert len(shapes) > 20  # a body, its floor and its props: not an empty drawing
    outside = [e for e in shapes if e[0] < 0 or e[1] < 0 or e[2] > w or e[3] > h]
    assert outside == []
    # The model's own boxes (arcs included, which the end points above leave out).
    layers, box = scene(definition(exercise_id))
    assert [la for la in layers if not box.contains(la.box())] == []


@pytest.mark.parametrize("exercise_id", LIBRARY)
def test_the_picture_is_self_contained(exercise_id: str) -> None:
    svg = picture(exercise_id)
    root = parse(svg)
    tags = {node.tag.removeprefix(SVG) for node in root.iter()}
    assert tags <= ALLOWED
    attributes = {name for node in root.iter() for name in node.attrib}
    assert [a for a in attributes if "href" in a or a.startswith("on") or a == "style"] == []
    # The namespace declaration is the only URL.
    assert re.findall(r"https?://[^\"]*", svg) == ["http://www.w3.org/2000/svg"]
    assert "url(" not in svg


def contrast_on_white(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (lum + 0.05)


def test_contrast_of_a_known_colour() -> None:
    assert round(contrast_on_white("#767676"), 2) == 4.54
    assert round(contrast_on_white("#000000"), 1) == 21.0


def test_every_stroke_has_at_least_3_to_1_contrast_on_white() -> None:
    strokes = {node.attrib["stroke"] for pid in LIBRARY for node in parse(picture(pid)).iter()
               if "stroke" in node.attrib}
    assert len(strokes) >= 5
    assert {c: round(contrast_on_white(c), 2) for c in sorted(strokes)
            if contrast_on_white(c) < 3} == {}


def test_the_same_picture_is_the_same_bytes() -> None:
    for pid in LIBRARY:
        assert render(definition(pid)) == picture(pid)
        assert render(parse_picture(pid, figures._raw()[pid])) == picture(pid)


@pytest.mark.parametrize("seed", ["1", "2"])
def test_the_pictures_do_not_depend_on_the_hash_seed(seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from backpain_cli.output.figures import "
         "contact_sheet_html as c; sys.stdout.write(c())"],
        capture_output=True, text=True, env=env, timeout=120, check=True)
    assert done.stdout == contact_sheet_html()


@pytest.mark.parametrize(("name", "render"), [("pictures.html", contact_sheet_html),
                                              ("exercises.html", exercise_sheet_html)])
def test_the_committed_contact_sheets_are_up_to_date(
        tmp_path: Path, name: str, render: Callable[[], str]) -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "pictures.py"), str(tmp_path)],
                   check=True, timeout=120, cwd=tmp_path)
    written = (tmp_path / name).read_bytes()
    assert written == render().encode("utf-8")
    assert (ROOT / "docs" / name).read_bytes() == written, (
        f"docs/{name} is out of date: run python tools/pictures.py")


def test_the_exercise_sheet_shows_every_exercise_with_picture_steps_and_doses() -> None:
    """docs/exercises.html (issue 20): a clinician checks the whole library on one page."""
    page = exercise_sheet_html()
    cards = page.split("<article ")[1:]
    assert [c.split('"')[1] for c in cards] == list(library().ids)
    for card, ex in zip(cards, library(), strict=True):
        assert card.count("<svg") == 1, ex.id
        assert picture(ex.id) in card, ex.id
        for text in (ex.name, ex.dose, ex.easier, ex.progress, *ex.steps):
            assert html.escape(text) in card, (ex.id, text)
        assert card.count("<li>") == len(ex.steps), ex.id


def test_the_contact_sheet_shows_every_picture_with_its_id_and_title() -> None:
    page = contact_sheet_html()
    assert page.count("<svg ") == len(LIBRARY)
    for pid in LIBRARY:
        assert f"<code>{pid}</code>" in page
        assert picture(pid) in page


def test_an_unknown_exercise_has_no_picture() -> None:
    with pytest.raises(UnknownPicture) as err:
        picture("ex.handstand")
    assert str(err.value) == "no picture for exercise 'ex.handstand'"
    with pytest.raises(UnknownPicture):
        picture_title("ex.handstand")


def test_the_title_and_desc_are_escaped() -> None:
    pic = Picture("x", "Knees & <feet>", Pose(), desc="a \"quoted\" <desc>")
    root = parse(render(pic))
    assert root[0].text == "Knees & <feet>"
    assert root[1].tag == f"{SVG}desc" and root[1].text == "a \"quoted\" <desc>"


BASE: dict[str, Any] = {"title": "Standing", "props": [{"kind": "floor"}]}


@pytest.mark.parametrize(("change", "message"), [
    ({"titel": "x"}, "ex.t: unknown key 'titel'"),
    ({"title": " "}, "ex.t: needs a title (the picture's text alternative)"),
    ({"near_arm": [1, 2, 3, 4]}, "ex.t: arm: a list of one to three angles in degrees"),
    ({"leg": "bent"}, "ex.t: leg: a list of one to three angles in degrees"),
    ({"trunk": "up"}, "ex.t: trunk is a number"),
    ({"flat_feet": ["left"]}, "ex.t: flat_feet is true, false or a list of sides"),
    ({"scale": {"near.shin": 2}}, "ex.t: scale maps segments to factors from 0 to 1"),
    ({"behind": ["far.arm"]}, "ex.t: behind lists near.arm, near.leg or both"),
    ({"props": {"kind": "floor"}}, "ex.t: props is a list of tables"),
    ({"props": [{"kind": "sofa"}]}, "ex.t: props[0]: unknown prop 'sofa'"),
    ({"props": [{"kind": "chair", "seet": "hip"}]},
     "ex.t: props[0] (chair): unknown key 'seet'"),
    ({"props": [{"kind": "chair", "seat": "elbow"}]},
     "ex.t: props[0] (chair).seat: unknown point 'elbow'"),
    ({"props": [{"kind": "wall"}]}, "ex.t: props[0] (wall): needs 'at'"),
    ({"props": [{"kind": "counter", "top": [1, "2"]}]},
     "ex.t: props[0] (counter).top: a point is [x, y], a point name or [name, dx, dy]"),
    ({"props": [{"kind": "towel", "path": ["near.hand"]}]},
     "ex.t: props[0] (towel): path is a list of at least two points"),
    ({"props": [{"kind": "water"}]}, "ex.t: props[0]: needs 'level'"),
    ({"arrows": [{"at": "hip"}]}, "ex.t: arrows[0]: an arrow needs 'at' and 'angle'"),
    ({"arrows": [{"at": "hip", "angle": 0, "bent": 1}]},
     "ex.t: arrows[0]: unknown key 'bent'"),
])
def test_a_wrong_pose_is_named_by_its_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PictureError) as err:
        render(parse_picture("ex.t", {**BASE, **change}))
    assert str(err.value) == message


def test_every_prop_draws_inside_the_box() -> None:
    """The props no library picture uses yet (bed, band, strap, pillow of a given height)
    draw as well as the others."""
    entry = {"title": "Lying on a bed", "trunk": 180, "leg": [0, 0, -20],
             "rest": 50, "arm": [40, 60],
             "props": [{"kind": "floor"}, {"kind": "bed", "top": ["hip", 0, -11]},
                       {"kind": "band", "path": ["near.hand", "far.hand", [0, 90]]},
                       {"kind": "strap", "path": ["near.fingers", "near.toe"]},
                       {"kind": "pillow", "top": ["head", 0, -11], "height": 6}],
             "arrows": [{"at": "head", "angle": 45, "bend": -270, "length": 60}]}
    pic = parse_picture("ex.bed", entry)
    layers, box = scene(pic)
    assert [la for la in layers if not box.contains(la.box())] == []
    root = parse(render(pic))
    _, _, w, h = view_box(root)
    assert [e for e in extents(root) if e[0] < 0 or e[1] < 0 or e[2] > w or e[3] > h] == []


angles = st.floats(min_value=-180, max_value=180, allow_nan=False)
triples = st.tuples(angles, angles, angles)


@settings(max_examples=examples(200))
@given(trunk=angles, neck=angles, arms=st.tuples(triples, triples),
       legs=st.tuples(triples, triples), mat=st.booleans(),
       arrow=st.tuples(angles, st.floats(min_value=5, max_value=80), angles))
def test_any_pose_draws_inside_its_box_and_on_the_floor(
        trunk: float, neck: float, arms: tuple[Any, Any], legs: tuple[Any, Any], mat: bool,
        arrow: tuple[float, float, float]) -> None:
    pose = Pose(trunk=trunk, neck=neck, arms={"near": arms[0], "far": arms[1]},
                legs={"near": legs[0], "far": legs[1]})
    props = ({"kind": "floor"}, {"kind": "mat"}) if mat else ({"kind": "floor"},)
    angle, length, bend = arrow
    pic = Picture("ex.any", "Any pose", pose, props,
                  ({"at": "head", "angle": angle, "length": length, "bend": bend},))
    layers, box = scene(pic)
    assert [la for la in layers if not box.contains(la.box())] == []
    # No limb through the floor: the body's lowest point rests on it (or on the mat).
    body = figures.placed_body(pic)
    assert math.isclose(body.box().y0, figures.MAT if mat else 0.0, abs_tol=1e-9)
    svg = render(pic)
    root = parse(svg)
    _, _, w, h = view_box(root)
    assert [e for e in extents(root) if e[0] < 0 or e[1] < 0 or e[2] > w or e[3] > h] == []
    assert render(pic) == svg


def _contrast(a: str, b: str) -> float:
    la, lb = (1.05 / contrast_on_white(c) - 0.05 for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_every_handout_colour_meets_wcag_aa() -> None:
    """Issue 20: every colour of text or chart marks in the handout meets WCAG AA contrast
    (4.5:1) on white and on every tinted background of the handout (the triage boxes)."""
    from backpain_cli.output import html as handout

    css = handout.CSS
    backgrounds = {"#ffffff", *re.findall(r"background:\s*(#[0-9a-f]{6})", css)}
    defined = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6})", css))
    inks = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", css))
    inks |= {defined[name] for name in ("ink", "muted", "accent")}
    inks |= {handout._PAIN_NOW, handout._PAIN_WORST}
    weakest = min((_contrast(ink, bg), ink, bg) for ink in inks for bg in backgrounds)
    assert weakest[0] >= 4.5, weakest
