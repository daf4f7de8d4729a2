"""Line drawings of the exercises' start positions: a small 2D figure model drawn as SVG.

One body (a kinematic tree with one set of proportions) is posed by a few joint angles per
picture (poses.toml), placed on the floor, given its props (floor, mat, chair, wall, ...)
and an optional movement arrow, and drawn in one style: soft-grey limbs with a dark
outline, the limbs on the far side lighter, so that a side view reads. A new exercise is a
few numbers in poses.toml, not an illustrator.

Conventions (world coordinates in centimetres of a 172 cm adult, y up, the floor at y = 0):
the figure faces +x when upright. `trunk` is the direction from hip to shoulder in degrees
(90 upright, 180 lying with the head to the left, 0 with the head to the right; the front
of the body is 90 degrees clockwise from it, so 180 lies on the back, 0 on the front).
Joint angles are anatomical: shoulder and hip 0 along the trunk line, 90 forward at a right
angle, 180 overhead (shoulder); elbow, wrist and knee 0 straight (elbow and wrist bend
forward, the knee back); ankle 0 with the foot at a right angle to the shin, positive with
the toes towards the shin; neck positive bends the head forward.

The SVG is self-contained (no fonts, links, scripts or images), has a `viewBox` fitted to
every shape with a margin, `role="img"` and a `<title>` first (WeasyPrint makes it the PDF
figure's alternative text), and is the same bytes for the same input.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from html import escape
from pathlib import Path
from typing import Any, TypeAlias

from ..files import loads_toml, packaged
from ..frozen import frozen

Point: TypeAlias = tuple[float, float]

# ----------------------------------------------------------------------------- proportions

# Segment lengths (cm) and half-widths at each end: one set for every picture.
TRUNK = 50.0
NECK = 9.0
HEAD_R = 11.0
UPPER_ARM, FOREARM, HAND = 29.0, 25.0, 8.0
THIGH, SHIN, FOOT, HEEL = 43.0, 42.0, 16.0, 3.0
R_PELVIS, R_CHEST = 11.5, 12.0
R_NECK = 4.5
R_UPPER_ARM = (5.0, 4.0)
R_FOREARM = (4.0, 3.0)
R_HAND = (3.2, 2.8)
R_THIGH = (8.0, 5.8)
R_SHIN = (5.6, 3.6)
R_FOOT = (4.0, 3.0)
MAT = 3.0  # the mat's thickness: a body on a mat rests this far above the floor

# ----------------------------------------------------------------------------- colours

# Every stroke has at least 3:1 contrast on white (WCAG 2.x non-text contrast); tests
# check it. Fills are the insides of outlined shapes and need none.
INK = "#2b2b2b"
BODY_FILL = "#d9d9d9"
HAIR = "#8c8c8c"
FAR_INK = "#707070"
FAR_FILL = "#eeeeee"
PROP_INK = "#5c5c5c"
PROP_FILL = "#f2f2f2"
PROP_DARK = "#cfcfcf"
FLOOR_FILL = "#e8e8e8"
MAT_INK = "#4f6d7a"
MAT_FILL = "#dce8ed"
ARROW = "#c2410c"
STRAP = "#2f7364"
BAND = "#7c3aa0"
WATER_INK = "#1f6aa5"
WATER_FILL = "#bfdcf2"
LEAF_INK = "#4a7a3d"
LEAF_FILL = "#dcebd5"
OUTLINE = 1.8  # the visible width of the body's outline

# ----------------------------------------------------------------------------- geometry


@frozen
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def grow(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.y0, other.y0),
                   max(self.x1, other.x1), max(self.y1, other.y1))

    def contains(self, other: Box) -> bool:
        return (self.x0 <= other.x0 and self.y0 <= other.y0
                and other.x1 <= self.x1 and other.y1 <= self.y1)


def union(boxes: Iterable[Box]) -> Box:
    return functools.reduce(Box.union, boxes)


def _dir(deg: float) -> Point:
    a = math.radians(deg)
    return math.cos(a), math.sin(a)


def _add(p: Point, d: Point, k: float = 1.0) -> Point:
    return p[0] + d[0] * k, p[1] + d[1] * k


def _mid(a: Point, b: Point) -> Point:
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def _num(v: float) -> str:
    """A coordinate with one decimal, without a trailing .0 or a negative zero: the same
    drawing is the same bytes."""
    text = f"{round(v, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


Transform: TypeAlias = Callable[[Point], Point]


@frozen
class Circle:
    c: Point
    r: float

    def box(self) -> Box:
        return Box(self.c[0] - self.r, self.c[1] - self.r, self.c[0] + self.r,
                   self.c[1] + self.r)

    def svg(self, tf: Transform) -> str:
        x, y = tf(self.c)
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(self.r)}"/>'


@frozen
class Capsule:
    """A limb: two circles (radius `ra` at `a`, `rb` at `b`) and their outer tangents."""

    a: Point
    ra: float
    b: Point
    rb: float

    def box(self) -> Box:
        return Circle(self.a, self.ra).box().union(Circle(self.b, self.rb).box())

    def svg(self, tf: Transform) -> str:
        (ax, ay), (bx, by) = tf(self.a), tf(self.b)
        d = math.hypot(bx - ax, by - ay)
        if d <= abs(self.ra - self.rb) + 1e-6:
            big = self if self.ra >= self.rb else Capsule(self.b, self.rb, self.a, self.ra)
            return Circle(big.a, big.ra).svg(tf)
        theta = math.atan2(by - ay, bx - ax)
        phi = math.acos((self.ra - self.rb) / d)
        # In SVG's y-down space: along the upper tangent, round the far end, back along
        # the lower tangent, round the near end (both arcs with decreasing angle).
        a1 = (ax + self.ra * math.cos(theta + phi), ay + self.ra * math.sin(theta + phi))
        b1 = (bx + self.rb * math.cos(theta + phi), by + self.rb * math.sin(theta + phi))
        b2 = (bx + self.rb * math.cos(theta - phi), by + self.rb * math.sin(theta - phi))
        a2 = (ax + self.ra * math.cos(theta - phi), ay + self.ra * math.sin(theta - phi))
        big_b = 1 if 2 * phi > math.pi else 0
        big_a = 1 - big_b
        return (f'<path d="M{_num(a1[0])} {_num(a1[1])}L{_num(b1[0])} {_num(b1[1])}'
                f'A{_num(self.rb)} {_num(self.rb)} 0 {big_b} 0 {_num(b2[0])} {_num(b2[1])}'
                f'L{_num(a2[0])} {_num(a2[1])}'
                f'A{_num(self.ra)} {_num(self.ra)} 0 {big_a} 0 {_num(a1[0])} {_num(a1[1])}'
                'Z"/>')


@frozen
class Poly:
    points: tuple[Point, ...]
    closed: bool = False

    def box(self) -> Box:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return Box(min(xs), min(ys), max(xs), max(ys))

    def svg(self, tf: Transform) -> str:
        pts = [tf(p) for p in self.points]
        d = "M" + "L".join(f"{_num(x)} {_num(y)}" for x, y in pts)
        return f'<path d="{d}{"Z" if self.closed else ""}"/>'


@frozen
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float
    rx: float = 0.0

    def box(self) -> Box:
        return Box(min(self.x0, self.x1), min(self.y0, self.y1), max(self.x0, self.x1),
                   max(self.y0, self.y1))

    def svg(self, tf: Transform) -> str:
        b = self.box()
        x, y = tf((b.x0, b.y1))
        rx = f' rx="{_num(self.rx)}"' if self.rx else ""
        return (f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(b.x1 - b.x0)}" '
                f'height="{_num(b.y1 - b.y0)}"{rx}/>')


Shape: TypeAlias = Circle | Capsule | Poly | Rect


@frozen
class Layer:
    """Shapes drawn in one style (an SVG group)."""

    shapes: tuple[Shape, ...]
    fill: str = "none"
    stroke: str | None = None
    width: float = 0.0
    opacity: float | None = None

    def box(self) -> Box:
        inner = union(s.box() for s in self.shapes)
        return inner.grow(self.width / 2) if self.stroke else inner

    def svg(self, tf: Transform) -> str:
        attrs = f'fill="{self.fill}"'
        if self.stroke:
            attrs += (f' stroke="{self.stroke}" stroke-width="{_num(self.width)}"'
                      ' stroke-linejoin="round" stroke-linecap="round"')
        if self.opacity is not None:
            attrs += f' fill-opacity="{self.opacity}"'
        return f"<g {attrs}>" + "".join(s.svg(tf) for s in self.shapes) + "</g>"


def outlined(shapes: Sequence[Shape], ink: str, fill: str, width: float = OUTLINE) -> list[Layer]:
    """The shapes as one silhouette: all outlines first, then all fills over them, so that
    joints merge and only the outer edge is drawn."""
    return [Layer(tuple(shapes), fill=ink, stroke=ink, width=2 * width),
            Layer(tuple(shapes), fill=fill)]


# ----------------------------------------------------------------------------- the body

SIDES = ("near", "far")


@frozen
class Pose:
    """Joint angles (degrees) of one picture; see the module's conventions.

    `arms` and `legs` map a side ("near", "far") to (shoulder, elbow, wrist) and
    (hip, knee, ankle). `flat_feet`: those feet lie level whatever the ankle says.
    `scale`: a factor per segment ("near.thigh", ...) for a limb seen end-on.
    `behind`: near limbs ("near.arm", "near.leg") drawn behind the trunk and head.
    `face_viewer`: the face turned to the viewer (a body seen from the front, lying on its
    side), not in profile.
    """

    trunk: float = 90.0
    neck: float = 0.0
    arms: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: {"near": (0.0, 0.0, 0.0), "far": (0.0, 0.0, 0.0)})
    legs: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: {"near": (0.0, 0.0, 0.0), "far": (0.0, 0.0, 0.0)})
    flat_feet: frozenset[str] = frozenset()
    scale: Mapping[str, float] = field(default_factory=dict)
    behind: frozenset[str] = frozenset()
    face_viewer: bool = False


@frozen
class Body:
    points: dict[str, Point]
    layers: list[Layer]

    def box(self) -> Box:
        return union(layer.box() for layer in self.layers)


def pose_body(pose: Pose, root: Point = (0.0, 0.0)) -> Body:
    """The posed body with its hip at `root`: named points and its drawing, far side first."""
    pts: dict[str, Point] = {"hip": root}

    def length(name: str, base: float) -> float:
        return base * pose.scale.get(name, 1.0)

    t = pose.trunk
    front = t - 90
    shoulder = _add(root, _dir(t), length("trunk", TRUNK))
    head_dir = t - pose.neck
    head = _add(shoulder, _dir(head_dir), NECK + HEAD_R)
    pts.update(shoulder=shoulder, head=head, trunk=_mid(root, shoulder),
               chest=_add(_add(root, _dir(t), TRUNK * 0.7), _dir(front), R_CHEST),
               belly=_add(_add(root, _dir(t), TRUNK * 0.35), _dir(front), R_PELVIS),
               back=_add(_add(root, _dir(t), TRUNK * 0.5), _dir(front), -R_CHEST),
               seat=_add(root, _dir(t + 180), R_PELVIS * 0.6),
               crown=_add(head, _dir(head_dir), HEAD_R),
               face=_add(head, _dir(head_dir - 90), HEAD_R))
    limbs: dict[str, list[Shape]] = {}
    for side in SIDES:
        s, e, w = pose.arms[side]
        ua = t + 180 + s
        elbow = _add(shoulder, _dir(ua), length(f"{side}.upper_arm", UPPER_ARM))
        fa = ua + e
        wrist = _add(elbow, _dir(fa), length(f"{side}.forearm", FOREARM))
        hd = fa + w
        fingers = _add(wrist, _dir(hd), length(f"{side}.hand", HAND))
        h, k, a = pose.legs[side]
        th = t + 180 + h
        knee = _add(root, _dir(th), length(f"{side}.thigh", THIGH))
        sh = th - k
        ankle = _add(knee, _dir(sh), length(f"{side}.shin", SHIN))
        ft = sh + 90 + a
        if side in pose.flat_feet:
            ft = 0.0 if math.cos(math.radians(ft)) >= 0 else 180.0
        foot = length(f"{side}.foot", FOOT)
        heel = _add(ankle, _dir(ft), -HEEL)
        toe = _add(ankle, _dir(ft), foot)
        pts.update({
            f"{side}.elbow": elbow, f"{side}.wrist": wrist, f"{side}.fingers": fingers,
            f"{side}.hand": _mid(wrist, fingers), f"{side}.forearm": _mid(elbow, wrist),
            f"{side}.upper_arm": _mid(shoulder, elbow), f"{side}.knee": knee,
            f"{side}.ankle": ankle, f"{side}.heel": heel, f"{side}.toe": toe,
            f"{side}.ball": _add(ankle, _dir(ft), foot * 0.65),
            f"{side}.thigh": _mid(root, knee), f"{side}.shin": _mid(knee, ankle),
        })
        limbs[f"{side}.arm"] = [Capsule(shoulder, R_UPPER_ARM[0], elbow, R_UPPER_ARM[1]),
                                Capsule(elbow, R_FOREARM[0], wrist, R_FOREARM[1]),
                                Capsule(wrist, R_HAND[0], fingers, R_HAND[1])]
        limbs[f"{side}.leg"] = [Capsule(root, R_THIGH[0], knee, R_THIGH[1]),
                                Capsule(knee, R_SHIN[0], ankle, R_SHIN[1]),
                                Capsule(heel, R_FOOT[0], toe, R_FOOT[1])]
    # The trunk's ends stop short of hip and shoulder by about their radius, so that the
    # outline is round at the buttock and the shoulder and not a ball past the joint.
    trunk_a = _add(root, _dir(t), 2.0)
    trunk_b = _add(root, _dir(t), length("trunk", TRUNK) - R_CHEST + 4.0)
    # A small nose and dark hair over the crown and the back of the head: which way the
    # face looks tells lying on the back from lying on the front. A face turned to the
    # viewer (a frontal view) has its hair on top and no nose.
    hair_from, hair_to = (-70, 70) if pose.face_viewer else (-40, 150)
    hair = Poly(tuple(_add(head, _dir(head_dir + a), HEAD_R)
                      for a in range(hair_from, hair_to + 1, 10)), closed=True)
    core: list[Shape] = [Capsule(trunk_a, R_PELVIS, trunk_b, R_CHEST),
                         Capsule(shoulder, R_NECK, head, R_NECK), Circle(head, HEAD_R)]
    if not pose.face_viewer:
        core.append(Circle(_add(head, _dir(head_dir - 90), HEAD_R - 0.4), 2.6))
    groups = {"far.leg": outlined(limbs["far.leg"], FAR_INK, FAR_FILL),
              "far.arm": outlined(limbs["far.arm"], FAR_INK, FAR_FILL),
              "near.leg": outlined(limbs["near.leg"], INK, BODY_FILL),
              "near.arm": outlined(limbs["near.arm"], INK, BODY_FILL)}
    head_layers = [*outlined(core, INK, BODY_FILL), Layer((hair,), fill=HAIR)]
    near = [g for g in ("near.leg", "near.arm") if g not in pose.behind]
    layers = [layer for g in ("far.leg", "far.arm", *sorted(pose.behind))
              for layer in groups[g]]
    layers += head_layers + [layer for g in near for layer in groups[g]]
    return Body(pts, layers)


def shifted(body: Body, dx: float, dy: float) -> Body:
    def move(s: Shape) -> Shape:
        if isinstance(s, Circle):
            return Circle((s.c[0] + dx, s.c[1] + dy), s.r)
        if isinstance(s, Capsule):
            return Capsule((s.a[0] + dx, s.a[1] + dy), s.ra, (s.b[0] + dx, s.b[1] + dy), s.rb)
        if isinstance(s, Poly):
            return Poly(tuple((x + dx, y + dy) for x, y in s.points), s.closed)
        return Rect(s.x0 + dx, s.y0 + dy, s.x1 + dx, s.y1 + dy, s.rx)

    return Body({k: (x + dx, y + dy) for k, (x, y) in body.points.items()},
                [Layer(tuple(move(s) for s in layer.shapes), layer.fill, layer.stroke,
                       layer.width, layer.opacity) for layer in body.layers])


# ----------------------------------------------------------------------------- scenes


class PictureError(ValueError):
    """A picture definition that does not fit the model (a typo in poses.toml, say)."""


class UnknownPicture(LookupError):
    """No picture for this exercise id."""


# An anchor: [x, y], a named body point ("near.hand"; "a+b" is the middle of two), or
# [name, dx, dy] (that point moved by dx, dy).
Anchor: TypeAlias = Any


def resolve(anchor: Anchor, points: Mapping[str, Point], where: str) -> Point:
    def named(name: str) -> Point:
        parts = name.split("+")
        if any(p not in points for p in parts):
            raise PictureError(f"{where}: unknown point {name!r}")
        xs = [points[p] for p in parts]
        return sum(p[0] for p in xs) / len(xs), sum(p[1] for p in xs) / len(xs)

    if isinstance(anchor, str):
        return named(anchor)
    if isinstance(anchor, list) and len(anchor) == 2 and all(
            isinstance(v, int | float) for v in anchor):
        return float(anchor[0]), float(anchor[1])
    if (isinstance(anchor, list) and len(anchor) == 3 and isinstance(anchor[0], str)
            and all(isinstance(v, int | float) for v in anchor[1:])):
        x, y = named(anchor[0])
        return x + float(anchor[1]), y + float(anchor[2])
    raise PictureError(f"{where}: a point is [x, y], a point name or [name, dx, dy]")


@frozen
class Picture:
    """One drawing: a pose, its props and arrows, and the text alternative."""

    id: str
    title: str
    pose: Pose
    props: tuple[Mapping[str, Any], ...] = ()
    arrows: tuple[Mapping[str, Any], ...] = ()
    rest: float | None = 0.0  # height of the body's lowest point above the floor (or mat)
    desc: str | None = None


MARGIN = 6.0
FLOOR_PAD = 14.0


def _arrow(spec: Mapping[str, Any], points: Mapping[str, Point], where: str) -> list[Layer]:
    """A movement arrow: from `at`, heading `angle` degrees, `length` long, its direction
    turning by `bend` degrees along the way (0 straight), with a filled head."""
    _expect(spec, {"at", "angle", "length", "bend"}, where)
    if "at" not in spec or "angle" not in spec:
        raise PictureError(f"{where}: an arrow needs 'at' and 'angle'")
    start = resolve(spec["at"], points, f"{where}.at")
    angle = _number(spec, "angle", 0, where)
    length = _number(spec, "length", 24, where)
    bend = _number(spec, "bend", 0, where)
    head = 7.0
    steps = 16 if bend else 1
    step = max(length - head * 0.6, 1.0) / steps
    pts = [start]
    for i in range(steps):
        # The heading at the middle of each step: a circular arc from the start direction.
        pts.append(_add(pts[-1], _dir(angle + bend * (i + 0.5) / steps), step))
    end = angle + bend
    tip = _add(pts[-1], _dir(end), head * 0.9)
    back = _add(tip, _dir(end), -head * 1.3)
    wing = _dir(end + 90)
    barb = Poly((tip, _add(back, wing, head * 0.62), _add(back, wing, -head * 0.62)),
                closed=True)
    return [Layer((Poly(tuple(pts)),), stroke=ARROW, width=3.2),
            Layer((barb,), fill=ARROW, stroke=ARROW, width=1.2)]


def _expect(spec: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(spec) - allowed - {"kind"})
    if unknown:
        raise PictureError(f"{where}: unknown key {unknown[0]!r}")


Layers: TypeAlias = tuple[list[Layer], list[Layer]]  # behind the body, in front of it


@frozen
class _Prop:
    """One prop's table from poses.toml, with the body's points to anchor it to."""

    spec: Mapping[str, Any]
    points: Mapping[str, Point]
    floor: float
    where: str

    def at(self, key: str) -> Point:
        if key not in self.spec:
            raise PictureError(f"{self.where}: needs {key!r}")
        return resolve(self.spec[key], self.points, f"{self.where}.{key}")

    def num(self, key: str, default: float) -> float:
        return _number(self.spec, key, default, self.where)


def _solid(*shapes: Shape, fill: str = PROP_FILL, width: float = 1.6) -> Layer:
    return Layer(shapes, fill=fill, stroke=PROP_INK, width=width)


def _chair(p: _Prop) -> Layers:
    """A chair seen from the side: `seat` (the seat's top middle) or `top` (the top of its
    back); `facing` is where someone sitting on it would look."""
    sign = 1 if p.spec.get("facing", "right") == "right" else -1
    if "seat" in p.spec:
        cx, sy = p.at("seat")
        top = sy + 40
    else:
        tx, top = p.at("top")
        sy = 45.0
        cx = tx + sign * 19
    rear, fore = cx - sign * 19, cx + sign * 19
    shapes: list[Shape] = [Rect(fore - 1.6, 0, fore + 1.6, sy - 4),
                           Rect(rear - 1.6, 0, rear + 1.6, sy),
                           Rect(cx - 22, sy - 4, cx + 22, sy, rx=1.5)]
    if p.spec.get("back", True):
        shapes.append(Rect(rear - 2.2, sy, rear + 2.2, top, rx=1.5))
    return [_solid(*shapes)], []


def _wall(p: _Prop) -> Layers:
    """A wall whose surface is at the x of `at`, on the `side` given (left or right)."""
    x = p.at("at")[0]
    sign = -1 if p.spec.get("side", "left") == "left" else 1
    h = p.num("height", 200)
    return [Layer((Rect(x, p.floor, x + sign * 10, h),), fill=PROP_DARK),
            Layer((Poly(((x, p.floor), (x, h))),), stroke=PROP_INK, width=2.2)], []


def _counter(p: _Prop) -> Layers:
    """A kitchen counter or table whose top passes through `top`, `left` and `right` of it."""
    x, y = p.at("top")
    x0, x1 = x - p.num("left", 40), x + p.num("right", 40)
    return [_solid(Rect(x0 + 3, 0, x1 - 3, y - 4), Rect(x0, y - 4, x1, y, rx=1.5)),
            Layer((Poly(((x0 + 3, 10), (x1 - 3, 10))),), stroke=PROP_INK, width=1.2)], []


def _bed(p: _Prop) -> Layers:
    """A bed whose mattress top passes through `top`, `left` and `right` of it."""
    x, y = p.at("top")
    x0, x1 = x - p.num("left", 100), x + p.num("right", 100)
    return [_solid(Rect(x0 + 4, 0, x0 + 8, y - 14), Rect(x1 - 8, 0, x1 - 4, y - 14),
                   Rect(x0, y - 20, x1, y - 14, rx=1), Rect(x0 + 1, y - 14, x1 - 1, y, rx=5))], []


def _stairs(p: _Prop) -> Layers:
    """Stairs going up to the right from the first riser at the x of `at`; a hand rail
    through `rail` if given."""
    x = p.at("at")[0]
    rise, going = p.num("rise", 18), p.num("going", 28)
    n = int(p.num("steps", 3))
    outline: list[Point] = [(x, 0)]
    for i in range(n):
        outline += [(x + i * going, (i + 1) * rise), (x + (i + 1) * going, (i + 1) * rise)]
    outline.append((x + n * going, 0))
    layers = [_solid(Poly(tuple(outline), closed=True))]
    if "rail" in p.spec:
        rx, ry = p.at("rail")
        slope = rise / going

        def rail(at_x: float) -> Point:
            return at_x, ry + (at_x - rx) * slope

        post = x + 5  # the newel post stands on the first step
        layers += [Layer((Poly((rail(min(rx - 14, post)), rail(x + n * going - 4))),),
                         stroke=PROP_INK, width=3.5),
                   Layer((Poly(((post, rise), rail(post))),), stroke=PROP_INK, width=3)]
    return layers, []


def _bike(p: _Prop) -> Layers:
    """An exercise bike from its `saddle` (top), handlebar grip (`bars`) and `crank`
    centre; crank arms to the `pedals` points (the first in front of the body)."""
    sx, sy = p.at("saddle")
    bx, by = p.at("bars")
    cx, cy = p.at("crank")
    # The seat tube runs from the saddle through the crank down to the base.
    foot = _add((cx, cy), (cx - sx, cy - sy), (cy - 4) / max(sy - cy, 1.0))
    wheel = (cx + 40, 24.0)
    column = (wheel[0] + 6, 4.0)
    stem = (bx - 9, by - 2)
    tubes = Layer((Poly(((sx - 2, sy - 4), foot)), Poly((column, stem)),
                   Poly(((cx, cy), wheel))), stroke=PROP_INK, width=5)
    behind = [Layer((Rect(min(foot[0], cx) - 24, 0, column[0] + 18, 5, rx=2.5),),
                    fill=PROP_DARK, stroke=PROP_INK, width=1.4),
              tubes,
              Layer((Circle(wheel, 18),), fill=PROP_FILL, stroke=PROP_INK, width=2.5),
              Layer((Poly((stem, (bx + 2, by))),), stroke=PROP_INK, width=4.5),
              _solid(Rect(sx - 13, sy - 4, sx + 9, sy + 0.5, rx=2))]
    pedals = p.spec.get("pedals", [])
    if not isinstance(pedals, list):
        raise PictureError(f"{p.where}: pedals is a list of points")
    arms = [Layer((Poly(((cx, cy), resolve(q, p.points, f"{p.where}.pedals"))),),
                  stroke=PROP_INK, width=3) for q in pedals]
    hub = Layer((Circle((cx, cy), 4.5),), fill=PROP_FILL, stroke=PROP_INK, width=2)
    return behind + arms[1:], [*arms[:1], hub]


def _cushion(p: _Prop) -> Layers:
    """A pillow or cushion with its top middle at `top`, `width` wide, down to the floor
    (or `height` tall)."""
    x, y = p.at("top")
    w = p.num("width", 30)
    bottom = y - p.num("height", 0) if "height" in p.spec else p.floor
    return [_solid(Rect(x - w / 2, bottom, x + w / 2, y, rx=min(6.0, (y - bottom) / 2)))], []


def _strap(p: _Prop) -> Layers:
    """A towel, strap or band along `path` (points), in front of the body."""
    path = p.spec.get("path")
    if not isinstance(path, list) or len(path) < 2:
        raise PictureError(f"{p.where}: path is a list of at least two points")
    pts = tuple(resolve(q, p.points, f"{p.where}.path") for q in path)
    colour, width = (BAND, 2.2) if p.spec["kind"] == "band" else (STRAP, 3.4)
    return [], [Layer((Poly(pts),), stroke=colour, width=width)]


def _tree(p: _Prop) -> Layers:
    """A tree standing on the floor at the x of `at`, `height` tall: outdoors."""
    x = p.at("at")[0]
    h = p.num("height", 150)
    r = h * 0.24
    return [Layer((Rect(x - 4, 0, x + 4, h - r),), fill=PROP_DARK, stroke=PROP_INK, width=1.6),
            Layer((Circle((x, h - r), r), Circle((x - r * 0.55, h - r * 1.5), r * 0.6),
                   Circle((x + r * 0.5, h - r * 1.45), r * 0.65)),
                  fill=LEAF_FILL, stroke=LEAF_INK, width=1.8),
            Layer((Circle((x, h - r), r - 0.9), Circle((x - r * 0.55, h - r * 1.5), r * 0.6 - 0.9),
                   Circle((x + r * 0.5, h - r * 1.45), r * 0.65 - 0.9)), fill=LEAF_FILL)], []


# Each anchored prop: how it is drawn and the keys its table may have besides `kind`.
PROPS: dict[str, tuple[Callable[[_Prop], Layers], set[str]]] = {
    "chair": (_chair, {"seat", "top", "facing", "back"}),
    "wall": (_wall, {"at", "side", "height"}),
    "counter": (_counter, {"top", "left", "right"}),
    "bed": (_bed, {"top", "left", "right"}),
    "stairs": (_stairs, {"at", "rise", "going", "steps", "rail"}),
    "bike": (_bike, {"saddle", "bars", "crank", "pedals"}),
    "pillow": (_cushion, {"top", "width", "height"}),
    "cushion": (_cushion, {"top", "width", "height"}),
    "tree": (_tree, {"at", "height"}),
    "towel": (_strap, {"path"}),
    "strap": (_strap, {"path"}),
    "band": (_strap, {"path"}),
}


def _prop(spec: Mapping[str, Any], points: Mapping[str, Point], floor: float,
          where: str) -> Layers:
    kind = spec.get("kind")
    if kind not in PROPS:
        raise PictureError(f"{where}: unknown prop {kind!r}")
    draw, keys = PROPS[kind]
    where = f"{where} ({kind})"
    _expect(spec, keys, where)
    return draw(_Prop(spec, points, floor, where))


def _spanning(spec: Mapping[str, Any], span: tuple[float, float], points: Mapping[str, Point],
              where: str) -> tuple[list[Layer], list[Layer]]:
    """The props that run under or across the whole picture: floor, mat, water."""
    x0, x1 = span
    kind = spec["kind"]
    if kind == "floor":
        _expect(spec, set(), where)
        return [Layer((Rect(x0, -5, x1, 0),), fill=FLOOR_FILL),
                Layer((Poly(((x0, 0), (x1, 0))),), stroke=PROP_INK, width=2)], []
    if kind == "mat":
        _expect(spec, set(), where)
        return [Layer((Rect(x0 + 4, 0, x1 - 4, MAT, rx=1.5),), fill=MAT_FILL, stroke=MAT_INK,
                      width=1.4)], []
    _expect(spec, {"level"}, where)  # water
    if "level" not in spec:
        raise PictureError(f"{where}: needs 'level'")
    level = resolve(spec["level"], points, f"{where}.level")[1]
    wave: list[Point] = []
    n = max(int((x1 - x0) / 3), 2)
    for i in range(n + 1):
        x = x0 + (x1 - x0) * i / n
        wave.append((x, level + 1.6 * math.sin(x / 7)))
    water = Poly(((x0, 0), *wave, (x1, 0)), closed=True)
    # Behind the body in full and over it lightly: the body looks under water, and its
    # outline keeps its contrast against the water.
    return [Layer((water,), fill=WATER_FILL)], [
        Layer((water,), fill=WATER_FILL, opacity=0.35),
        Layer((Poly(tuple(wave)),), stroke=WATER_INK, width=2)]


SPANNING = ("floor", "mat", "water")


def _floor(pic: Picture) -> float:
    """Where the body rests: the floor, or the top of a mat on it."""
    return MAT if any(p.get("kind") == "mat" for p in pic.props) else 0.0


def placed_body(pic: Picture) -> Body:
    """The posed body moved so that its lowest point is `rest` above the floor (or mat)."""
    body = pose_body(pic.pose)
    if pic.rest is None:
        return body
    return shifted(body, 0, _floor(pic) + pic.rest - body.box().y0)


def scene(pic: Picture) -> tuple[list[Layer], Box]:
    """The picture's layers in drawing order, and the viewBox (world coordinates)."""
    body = placed_body(pic)
    floor = _floor(pic)
    behind: list[Layer] = []
    front: list[Layer] = []
    for i, spec in enumerate(pic.props):
        if spec.get("kind") in SPANNING:
            continue
        b, f = _prop(spec, body.points, floor, f"{pic.id}: props[{i}]")
        behind += b
        front += f
    for i, spec in enumerate(pic.arrows):
        front += _arrow(spec, body.points, f"{pic.id}: arrows[{i}]")
    box = union(layer.box() for layer in (*behind, *body.layers, *front))
    span = (box.x0 - FLOOR_PAD, box.x1 + FLOOR_PAD)
    under: list[Layer] = []
    for i, spec in enumerate(pic.props):
        if spec.get("kind") in SPANNING:
            u, f = _spanning(spec, span, body.points, f"{pic.id}: props[{i}]")
            under += u
            front = f + front
    layers = [*under, *behind, *body.layers, *front]
    return layers, union(layer.box() for layer in layers).grow(MARGIN)


def render(pic: Picture) -> str:
    """The picture as a self-contained `<svg>` element, one unit a centimetre (1 px)."""
    layers, box = scene(pic)

    def tf(p: Point) -> Point:
        return p[0] - box.x0, box.y1 - p[1]

    w, h = _num(box.x1 - box.x0), _num(box.y1 - box.y0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
           f'height="{h}" role="img">',
           f"<title>{escape(pic.title, quote=False)}</title>"]
    if pic.desc:
        out.append(f"<desc>{escape(pic.desc, quote=False)}</desc>")
    out += [layer.svg(tf) for layer in layers]
    out.append("</svg>")
    return "\n".join(out)


# ----------------------------------------------------------------------------- poses.toml

_ENTRY_KEYS = {"title", "desc", "trunk", "neck", "arm", "near_arm", "far_arm", "leg",
               "near_leg", "far_leg", "flat_feet", "scale", "behind", "face", "rest",
               "props", "arrows"}


def _angles(value: Any, where: str) -> tuple[float, float, float]:
    if (not isinstance(value, list) or not 1 <= len(value) <= 3
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise PictureError(f"{where}: a list of one to three angles in degrees")
    full = [float(v) for v in value] + [0.0] * (3 - len(value))
    return full[0], full[1], full[2]


def _number(entry: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = entry.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise PictureError(f"{where}: {key} is a number")
    return float(value)


def parse_picture(picture_id: str, entry: Mapping[str, Any]) -> Picture:
    """One table of poses.toml as a Picture (PictureError naming the key if it is wrong)."""
    where = picture_id
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise PictureError(f"{where}: unknown key {unknown[0]!r}")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise PictureError(f"{where}: needs a title (the picture's text alternative)")
    arms = {side: _angles(entry.get(f"{side}_arm", entry.get("arm", [0])), f"{where}: arm")
            for side in SIDES}
    legs = {side: _angles(entry.get(f"{side}_leg", entry.get("leg", [0])), f"{where}: leg")
            for side in SIDES}
    flat = entry.get("flat_feet", False)
    if flat is True:
        flat_feet = frozenset(SIDES)
    elif flat is False:
        flat_feet = frozenset()
    elif isinstance(flat, list) and set(flat) <= set(SIDES):
        flat_feet = frozenset(flat)
    else:
        raise PictureError(f"{where}: flat_feet is true, false or a list of sides")
    scale = entry.get("scale", {})
    if not isinstance(scale, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1
            for v in scale.values()):
        raise PictureError(f"{where}: scale maps segments to factors from 0 to 1")
    behind = entry.get("behind", [])
    if not isinstance(behind, list) or not set(behind) <= {"near.arm", "near.leg"}:
        raise PictureError(f"{where}: behind lists near.arm, near.leg or both")
    face = entry.get("face", "side")
    if face not in ("side", "viewer"):
        raise PictureError(f"{where}: face is side or viewer")
    props = entry.get("props", [])
    arrows = entry.get("arrows", [])
    for key, value in (("props", props), ("arrows", arrows)):
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise PictureError(f"{where}: {key} is a list of tables")
    rest: float | None = None if entry.get("rest") == "none" else _number(
        entry, "rest", 0, where)
    desc = entry.get("desc")
    if desc is not None and not isinstance(desc, str):
        raise PictureError(f"{where}: desc is text")
    pose = Pose(trunk=_number(entry, "trunk", 90, where), neck=_number(entry, "neck", 0, where),
                arms=arms, legs=legs, flat_feet=flat_feet,
                scale={k: float(v) for k, v in scale.items()}, behind=frozenset(behind),
                face_viewer=face == "viewer")
    return Picture(picture_id, title.strip(), pose, tuple(props), tuple(arrows), rest, desc)


@functools.cache
def _raw() -> dict[str, Any]:
    here = packaged(Path(__file__).parent, __package__)
    return loads_toml(here.joinpath("poses.toml").read_text("utf-8"))


@functools.cache
def _pictures() -> dict[str, Picture]:
    return {pid: parse_picture(pid, entry) for pid, entry in _raw().items()}


def picture_ids() -> tuple[str, ...]:
    """Every exercise id with a picture, in the order of poses.toml (the library's)."""
    return tuple(_pictures())


def definition(exercise_id: str) -> Picture:
    """The picture's definition from poses.toml (UnknownPicture if it has none)."""
    try:
        return _pictures()[exercise_id]
    except KeyError:
        raise UnknownPicture(f"no picture for exercise {exercise_id!r}") from None


def picture_title(exercise_id: str) -> str:
    """The picture's text alternative (its SVG `<title>`)."""
    return definition(exercise_id).title


@functools.cache
def picture(exercise_id: str) -> str:
    """The start-position drawing of a library exercise as an inline `<svg>` element
    (UnknownPicture for an id poses.toml does not have)."""
    return render(definition(exercise_id))


# ----------------------------------------------------------------------------- contact sheet

_SHEET_CSS = """
body { margin: 1.5rem; font-family: system-ui, sans-serif; color: #1d2125; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
  gap: 1rem; }
figure { margin: 0; padding: .75rem; border: 1px solid #d5dae0; border-radius: 6px;
  break-inside: avoid; }
figure div { height: 240px; display: flex; align-items: center; justify-content: center; }
figure svg { width: 100%; height: 240px; }
figcaption code { font-weight: 600; }
"""


def contact_sheet_html() -> str:
    """Every picture large with its id and title on one page (docs/pictures.html), for a
    clinician to check them all at once."""
    figs = [f'<figure><div>{picture(pid)}</div><figcaption><code>{escape(pid)}</code><br>'
            f"{escape(picture_title(pid))}</figcaption></figure>" for pid in picture_ids()]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>Exercise pictures</title>\n"
            f"<style>{_SHEET_CSS}</style>\n</head>\n<body>\n<h1>Exercise pictures</h1>\n"
            "<p>The start position of every exercise of the library, as drawn in the "
            "handouts (generated from backpain_cli/output/poses.toml).</p>\n"
            "<div class=\"grid\">\n" + "\n".join(figs) + "\n</div>\n</body>\n</html>\n")
