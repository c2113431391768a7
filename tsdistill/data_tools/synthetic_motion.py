# Copyright (c) tsdistill authors. All rights reserved.
"""The embedded dataset in HMDB51's exact layout, in three modes.

``'motion'`` (motion-only): classes differ ONLY by the motion of an object
(direction, rotation, zoom, periodic vs linear, none); each video gets its
own random textures (object and background), object size, colour tint,
camera drift, lighting change, speed and noise, so appearance alone cannot
tell the classes apart. Chance is ``1 / len(motions)``.

``'mixed'`` (mixed-cue): each class is an object colour crossed with a
motion (``red_move_left``, ...). The colour is an isoluminant chroma: the
object's RGB is ``Y + chroma`` with the chroma in the Cb/Cr plane of
BT.601, whose luma weights are M1's (:func:`rgb_to_grey`), so two videos
drawn alike but for the colour have the same grey levels, hence the same
TV-L1 flow: flow cannot see the colour, RGB can. Everything else (motion,
textures' luma, camera, lighting, noise) is drawn as in the motion-only
mode, independently of the colour, so the colour tells nothing about the
motion. A colour-only model tops out at ``1 / len(motions)``, a
motion-only one at ``1 / len(colours)``; chance is one over the product.
As in HMDB51, each stream alone gets part of the way and their fusion
more.

``'binding'``: two objects of the two isoluminant colours (``red`` and
``blue`` by default) are in every clip; exactly one of them moves, the
other and the background stay still (a still camera: a static object that
drifted with the camera changed pixels too, and a statistic of the colour
of the changing pixels told which object moved in 65 to 94 % of the
clips instead of 100 %; the background keeps 30 % of its texture's chroma
for the same reason). Each class is the colour of the object that moves
crossed with its motion (``red-moves_move_left``, ...): 2 x M classes for
M motions, chance ``1 / (2 M)``. Both objects are drawn alike (luma
texture, size, chroma amplitude, hue jitter) and their positions in the
middle frame are two
independent draws from one box, rejected by a criterion symmetric in the
two (the path of the one that moves must keep clear of the other either
way round), so swapping the two colours maps a clip of ``(c1, m)`` to one
of ``(c2, m)`` with the same grey levels and the same distribution:

- M1's flow is a function of the grey levels (:func:`rgb_to_grey`'s
  weights are BT.601's luma ones), so a flow stream has one distribution
  for ``(c1, m)`` and ``(c2, m)``: its Bayes posterior gives both the same
  probability, ``p_F(c1, m | x) = p_F(c2, m | x)``. It can know the motion,
  never which object made it: at most ``1 / 2``.
- Appearance without motion (which colours a clip holds and how much of
  each, the layout of the middle frame) has one distribution for both
  classes too: ``p_A(c1, m | x) = p_A(c2, m | x)``, at most the motion
  (both colours are in every clip, so the colour content alone is at
  chance, ``1 / (2 M)``).
- Late fusion by the product rule, ``p_A p_F``, scores ``(c1, m)`` and
  ``(c2, m)`` alike for every ``m``: even with the motion always right,
  the arg max is right on exactly one of the two classes of each motion,
  i.e. on exactly ``1 / 2`` of a test set with as many videos per class
  (the class order breaks the tie; any rule that reads only the two
  posteriors is right half of the time in expectation). The cap is
  ``1 / 2`` for every M. Trained streams only approach their Bayes
  posteriors: scores that vary with where a colour is and with where
  the motion is, multiplied, can still read a little of the binding.
- A network that sees flow and colour together at each pixel can read
  the colour where the flow is, i.e. bind the motion to the object:
  ``100 %``.

The cap is for streams that each lack the binding: an RGB network that
follows the two coloured objects over the frames sees the motion itself
(M1's flow is a function of the same frames) and can bind on its own, as
an RGB network learnt the translations of the untracked mixed-cue object
(see ``track`` in :func:`render_video`); the product rule then gains what
it learnt. Motions that change the object's area (``zoom_in``,
``zoom_out``) would make the moving colour cover more or less of the
frame, an appearance cue, and ``static`` has no object that moves: the
binding mode takes :data:`BINDING_MOTIONS`.

The layout is HMDB51's after extraction::

    <root>/videos/<class>/<class>_<k>.avi
    <root>/testTrainMulti_7030_splits/<class>_test_split{1,2,3}.txt

with split lines ``<video>.avi <id>`` (1 = train, 2 = test, 0 = unused) in
HMDB51's proportions (70 train / 30 test of every 100 used videos, here
with one video in 20 left unused). Everything is drawn from one seed, so
the same seed writes the same split files and the same frames.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

#: the default classes: eight motions, one of them no motion at all
DEFAULT_CLASSES = ('move_left', 'move_right', 'move_up', 'move_down',
                   'rotate_cw', 'rotate_ccw', 'zoom_in', 'static')
#: every motion the generator knows (``classes`` may pick any of them)
MOTIONS = DEFAULT_CLASSES + ('zoom_out', 'oscillate', 'move_right_fast')
#: the object colours of the mixed-cue mode: hue angles in the (Cb, Cr)
#: plane of BT.601 (0 degrees = +Cb, blue; 90 degrees = +Cr, red)
COLOURS = dict(red=110.0, yellow=170.0, green=235.0, blue=350.0)
#: the mixed-cue mode's defaults: 2 colours x 4 motions = 8 classes
DEFAULT_MIXED_COLOURS = ('red', 'blue')
DEFAULT_MIXED_MOTIONS = ('move_left', 'move_right', 'move_up', 'move_down')
#: the motions of the binding mode: every motion but those that change
#: the object's area or leave it still (see the module docstring)
BINDING_MOTIONS = tuple(
    m for m in MOTIONS if m not in ('static', 'zoom_in', 'zoom_out'))
MODES = ('motion', 'mixed', 'binding')
#: object luma range and chroma amplitude of the mixed-cue mode: with the
#: lighting factor (at most 1.44) no channel leaves 0..255, so no clipping
#: breaks the equal luma of two colours
_MIXED_LUMA = (60.0, 120.0)
_MIXED_CHROMA = 28.0
#: the binding mode's background keeps this fraction of its texture's
#: chroma (its grey levels are the texture's)
_BINDING_BACKGROUND_CHROMA = 0.3
#: a binding class is ``<colour>-moves_<motion>``
_MOVES = '-moves'


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random smooth colour texture ``(size, size, 3)`` in 0..255."""
    noise = rng.uniform(0, 255, (size, size, 3)).astype(np.float32)
    texture = cv2.GaussianBlur(noise, (0, 0), rng.uniform(1.0, 4.0))
    texture -= texture.min()
    texture *= 255.0 / (texture.max() + 1e-6)
    tint = rng.uniform(0.5, 1.0, 3).astype(np.float32)
    return texture * tint


def isoluminant_colour(luma: np.ndarray, hue_deg: float,
                       chroma: float) -> np.ndarray:
    """BGR pixels of grey level ``luma`` and a hue, at equal luma.

    BT.601's inverse transform with ``(Cb, Cr) = chroma * (cos, sin)(hue)``:
    ``0.299 R + 0.587 G + 0.114 B = luma`` exactly, so M1's grey conversion
    of the result equals ``luma`` whatever the hue.

    Args:
        luma (np.ndarray): ``(...)`` grey levels.
        hue_deg (float): Angle in the (Cb, Cr) plane, degrees.
        chroma (float): Amplitude of (Cb, Cr).

    Returns:
        np.ndarray: ``(..., 3)`` float32 BGR (OpenCV's order).
    """
    cb = chroma * np.cos(np.deg2rad(hue_deg))
    cr = chroma * np.sin(np.deg2rad(hue_deg))
    red = luma + 1.402 * cr
    green = luma - 0.344136 * cb - 0.714136 * cr
    blue = luma + 1.772 * cb
    return np.stack([blue, green, red], -1).astype(np.float32)


def _disc(rng: np.random.Generator,
          diameter: int,
          colour: Optional[str] = None,
          mixed: bool = False):
    """An object: a textured disc and its soft mask ``(d, d, 1)``.

    Motion-only mode: a random colour texture. Mixed-cue mode: the same
    draws give the texture's luma, rescaled to :data:`_MIXED_LUMA`, tinted
    with the isoluminant ``colour`` (its chroma and hue jitter are drawn
    whatever the colour, so other colours leave every other draw as is).
    """
    mask = np.zeros((diameter, diameter), np.float32)
    cv2.circle(mask, (diameter // 2, diameter // 2), diameter // 2 - 1, 1.0,
               -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 0.8)[..., None]
    texture = _texture(rng, diameter)
    if not mixed:
        return texture, mask
    chroma = _MIXED_CHROMA * rng.uniform(0.8, 1.0)
    hue_jitter = rng.uniform(-15.0, 15.0)
    luma = cv2.cvtColor(texture, cv2.COLOR_BGR2GRAY)
    low, high = _MIXED_LUMA
    luma = low + (high - low) * (luma - luma.min()) / (
        luma.max() - luma.min() + 1e-6)
    return isoluminant_colour(luma, COLOURS[colour] + hue_jitter, chroma), mask


def _motion(name: str, t: int, speed: float, phase: float):
    """``(dx, dy, angle_deg, scale)`` of the object at frame ``t``."""
    dx = dy = angle = 0.0
    scale = 1.0
    if name == 'move_left':
        dx = -speed * t
    elif name == 'move_right':
        dx = speed * t
    elif name == 'move_right_fast':
        dx = 2.5 * speed * t
    elif name == 'move_up':
        dy = -speed * t
    elif name == 'move_down':
        dy = speed * t
    elif name == 'rotate_cw':
        angle = -6.0 * speed * t
    elif name == 'rotate_ccw':
        angle = 6.0 * speed * t
    elif name == 'zoom_in':
        scale = 0.7 + 0.03 * speed * t
    elif name == 'zoom_out':
        scale = 1.4 - 0.03 * speed * t
    elif name == 'oscillate':
        dx = 3.0 * speed * np.sin(2 * np.pi * t / 8.0 + phase)
    elif name != 'static':
        raise ValueError(f'unknown motion {name!r}; known: {MOTIONS}')
    return dx, dy, angle, scale


def render_video(name: str,
                 rng: np.random.Generator,
                 num_frames: int,
                 size: int,
                 colour: Optional[str] = None,
                 track: Optional[bool] = None) -> np.ndarray:
    """Frames ``(num_frames, size, size, 3)`` uint8 BGR of one video.

    An object (a textured disc of random size) performs the class's motion
    in front of a textured background that drifts with a random camera
    motion of its own (the same distribution for every class), so neither
    appearance nor global motion tells the motion; the object's motion does.

    Args:
        name (str): The motion (from :data:`MOTIONS`).
        rng (np.random.Generator): Source of every random choice.
        num_frames (int): Number of frames.
        size (int): Frame height and width.
        colour (str, optional): Mixed-cue mode: the object's isoluminant
            colour (a key of :data:`COLOURS`); the same ``rng`` state with
            another colour gives the same grey levels. ``None``: the
            motion-only mode's random colour texture. Defaults to ``None``.
        track (bool, optional): The camera follows the object's
            translation (a tracking shot, without the random drift of the
            camera): the object stays near the centre and the background
            moves the other way, by the same amount, so the flow tells the
            motion as before while the object's position in the frame no
            longer does.
            ``None``: on in the mixed-cue mode, where the coloured object
            is easy to find in every frame and an RGB network learnt the
            translations by following it (97.7 % and 95.5 % on the mixed
            set with a moving object, 2 seeds, against 14.8 % on the
            motion-only set). Defaults to ``None``.
    """
    if track is None:
        track = colour is not None
    if colour is not None and colour not in COLOURS:
        raise ValueError(f'unknown colour {colour!r}; known: '
                         f'{tuple(COLOURS)}')
    big = 2 * size  # background larger than the frame: the camera moves
    background = _texture(rng, big)
    diameter = int(size * rng.uniform(0.4, 0.65))
    obj, mask = _disc(rng, diameter, colour, mixed=colour is not None)
    speed = rng.uniform(0.5, 1.0)
    phase = rng.uniform(0, 2 * np.pi)
    camera = rng.uniform(-0.4, 0.4, 2)  # background drift, px per frame
    brightness = rng.uniform(0.7, 1.2)
    drift = rng.uniform(-0.01, 0.01)  # lighting change per frame
    noise = rng.uniform(1.0, 6.0)
    # centre the object's path in the frame, with a small random offset
    mid_dx, mid_dy, _, _ = _motion(name, num_frames // 2, speed, phase)
    centre = size / 2 - np.array([mid_dx, mid_dy]) + rng.uniform(-3, 3, 2)
    if track:
        # the camera follows the object's translation (no drift of its
        # own): the object stays near the centre and the background moves
        # the other way
        centre += np.array([mid_dx, mid_dy])
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    for t in range(num_frames):
        dx, dy, angle, scale = _motion(name, t, speed, phase)
        pan = camera * t
        if track:
            pan = np.array([dx - mid_dx, dy - mid_dy])
            dx = dy = 0.0
        shift = np.float32([[1, 0, -size / 2 - pan[0]],
                            [0, 1, -size / 2 - pan[1]]])
        frame = cv2.warpAffine(
            background,
            shift, (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT)
        # object: rotate / zoom about its centre, then move it
        matrix = cv2.getRotationMatrix2D((diameter / 2, diameter / 2), angle,
                                         scale)
        matrix[0, 2] += centre[0] + dx - diameter / 2
        matrix[1, 2] += centre[1] + dy - diameter / 2
        frame = _paste(frame, obj, mask, matrix)
        frames[t] = _lit(frame, brightness + drift * t, noise, rng)
    return frames


def _paste(frame: np.ndarray, obj: np.ndarray, mask: np.ndarray,
           matrix: np.ndarray) -> np.ndarray:
    """``frame`` with ``obj`` over it, both warped by ``matrix`` (``mask``
    is the object's alpha)."""
    size = frame.shape[:2][::-1]
    alpha = cv2.warpAffine(mask, matrix, size)[..., None]
    layer = cv2.warpAffine(obj, matrix, size)
    return alpha * layer + (1 - alpha) * frame


def _lit(frame: np.ndarray, gain: float, noise: float,
         rng: np.random.Generator) -> np.ndarray:
    """A float frame times the lighting ``gain``, plus Gaussian sensor
    noise of std ``noise``, as uint8."""
    frame = frame * gain
    frame += rng.normal(0, noise, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _binding_centres(rng: np.random.Generator, size: int, radius: float,
                     clearance: float, path: np.ndarray) -> np.ndarray:
    """Middle-frame centres ``(2, 2)`` (mover, static) of the binding mode.

    Two independent uniform draws from the box that keeps both objects
    ``radius`` inside the frame on the mover's ``path`` (``(T, 2)``
    offsets from the middle frame; the box's centre on an axis where no
    box fits, and the mover then leaves the frame for part of the clip,
    e.g. ``move_right_fast`` in 24 frames of 40 px), redrawn up to 100
    times until the mover's path keeps ``clearance`` from the other object
    either way round (mover and static swapped); otherwise the draw that
    came closest (none of 200 clips of any binding motion needed it at
    40 px and 24 frames or 32 px and 16 frames). The criterion is
    symmetric in the two draws, so the two centres are exchangeable.
    """
    low = radius - np.minimum(path.min(0), 0)
    high = size - radius - np.maximum(path.max(0), 0)
    middle = (low + high) / 2
    low, high = np.minimum(low, middle), np.maximum(high, middle)
    best, best_gap = None, -np.inf
    for _ in range(100):
        centres = rng.uniform(low, high, (2, 2))
        apart = centres[0] - centres[1]
        gap = min(
            np.linalg.norm(apart + path, axis=1).min(),
            np.linalg.norm(apart - path, axis=1).min())
        if gap > best_gap:
            best, best_gap = centres, gap
        if gap >= clearance:
            break
    return best


def render_binding_video(name: str,
                         rng: np.random.Generator,
                         num_frames: int,
                         size: int,
                         colours: Sequence[str],
                         camera_drift: float = 0.0) -> np.ndarray:
    """Frames ``(num_frames, size, size, 3)`` uint8 BGR of a binding clip.

    Two textured discs of the two isoluminant ``colours`` in front of a
    still, textured background of low chroma: the first disc performs the
    motion ``name``, the second stays still. Every draw but the colours is
    the same whichever colour moves (the same ``rng`` state with the
    colours swapped gives the same grey levels), see the module docstring.

    Args:
        name (str): The motion, from :data:`BINDING_MOTIONS`.
        rng (np.random.Generator): Source of every random choice.
        num_frames (int): Number of frames.
        size (int): Frame height and width.
        colours (Sequence[str]): ``(moving, static)`` keys of
            :data:`COLOURS`.
        camera_drift (float): Largest camera drift, px per frame on each
            axis (drawn per clip from ``[-camera_drift, camera_drift]``,
            after every other draw): the background and both objects move
            with the camera, the mover by its motion besides, so every
            pixel changes and the object that moves is the one that moves
            against the background. ``0``: a still camera (and the same
            frames as without the argument). Defaults to ``0``.
    """
    if name not in BINDING_MOTIONS:
        raise ValueError(f'binding mode: motion {name!r} not in '
                         f'{BINDING_MOTIONS}')
    unknown = sorted(set(colours) - set(COLOURS))
    if len(set(colours)) != 2 or len(colours) != 2 or unknown:
        raise ValueError('binding mode: colours must be two different keys '
                         f'of {tuple(COLOURS)}, got {tuple(colours)}')
    if not (np.isfinite(camera_drift) and 0 <= camera_drift < size / 8):
        raise ValueError('binding mode: camera_drift must be in [0, size / '
                         f'8), got {camera_drift!r}')
    # a background twice the frame when the camera moves, as render_video's
    texture = _texture(rng, 2 * size if camera_drift else size)
    grey = cv2.cvtColor(texture, cv2.COLOR_BGR2GRAY)[..., None]
    background = grey + _BINDING_BACKGROUND_CHROMA * (texture - grey)
    diameters = [int(size * f) for f in rng.uniform(0.25, 0.35, 2)]
    objects = [
        _disc(rng, d, colour, mixed=True)
        for d, colour in zip(diameters, colours)
    ]
    speed = rng.uniform(0.5, 1.0)
    phase = rng.uniform(0, 2 * np.pi)
    brightness = rng.uniform(0.7, 1.2)
    drift = rng.uniform(-0.01, 0.01)  # lighting change per frame
    noise = rng.uniform(1.0, 6.0)
    motion = [_motion(name, t, speed, phase) for t in range(num_frames)]
    path = np.array([(dx, dy) for dx, dy, _, _ in motion])
    path -= path[num_frames // 2]
    centres = _binding_centres(rng, size,
                               max(diameters) / 2,
                               sum(diameters) / 2 + 1, path)
    camera = rng.uniform(-camera_drift, camera_drift, 2) if camera_drift \
        else np.zeros(2)
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    for t in range(num_frames):
        # the camera's pan from the middle frame: the world moves against it
        pan = camera * (t - num_frames // 2)
        frame = background
        if camera_drift:
            shift = np.float32([[1, 0, -size / 2 + pan[0]],
                                [0, 1, -size / 2 + pan[1]]])
            frame = cv2.warpAffine(
                background,
                shift, (size, size),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT)
        # the static object first: the mover passes in front if they meet
        for k in (1, 0):
            (obj, mask), d = objects[k], diameters[k]
            angle, offset = (motion[t][2], path[t]) if k == 0 else (0.0, 0.0)
            matrix = cv2.getRotationMatrix2D((d / 2, d / 2), angle, 1.0)
            matrix[:, 2] += centres[k] + offset - pan - d / 2
            frame = _paste(frame, obj, mask, matrix)
        frames[t] = _lit(frame, brightness + drift * t, noise, rng)
    return frames


def write_avi(path: str, frames: np.ndarray, fps: int = 25) -> None:
    """Write BGR uint8 frames as an MJPG ``.avi`` (decord reads it)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), fps,
                             (width, height))
    if not writer.isOpened():
        raise IOError(f'{path}: OpenCV cannot open an MJPG writer')
    for frame in frames:
        writer.write(frame)
    writer.release()


def _check_readable(path: str, frames: np.ndarray) -> None:
    """Read a written video back with decord; refuse what it misreads."""
    import decord
    try:
        reader = decord.VideoReader(path)
        ok = len(reader) == len(frames) and reader[0].shape == frames[0].shape
    except decord.DECORDError:
        ok = False
    if not ok:
        raise ValueError(f'{path}: decord cannot read back {frames.shape[1]}'
                         f'x{frames.shape[2]} MJPG frames; use another '
                         '--size (32, 40, 56, 64 work)')


def split_ids(num_videos: int, rng: np.random.Generator) -> List[int]:
    """HMDB51-style ids for one split: 1 train, 2 test, 0 unused.

    One video in 20 is unused (HMDB51 leaves some out of every split); of
    the rest, 70 % train and 30 % test, shuffled per split.
    """
    unused = num_videos // 20
    used = num_videos - unused
    num_test = int(round(used * 0.3))
    ids = [0] * unused + [2] * num_test + [1] * (used - num_test)
    order = rng.permutation(num_videos)
    return [ids[i] for i in order]


def class_names(mode: str = 'motion',
                classes: Optional[Sequence[str]] = None,
                colours: Optional[Sequence[str]] = None) -> List[str]:
    """The class names of a mode, in generation order.

    Args:
        mode (str): ``'motion'``, ``'mixed'`` or ``'binding'``, see the
            module docstring. Defaults to ``'motion'``.
        classes (Sequence[str], optional): Motions, from :data:`MOTIONS`
            (:data:`BINDING_MOTIONS` in the binding mode). Defaults to
            :data:`DEFAULT_CLASSES` (motion-only) or
            :data:`DEFAULT_MIXED_MOTIONS` (mixed-cue and binding).
        colours (Sequence[str], optional): Mixed-cue colours, from
            :data:`COLOURS`; exactly two in the binding mode. Defaults to
            :data:`DEFAULT_MIXED_COLOURS`.

    Returns:
        list[str]: ``<motion>``, ``<colour>_<motion>`` or
        ``<colour>-moves_<motion>`` names.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    if mode == 'motion' and colours:
        raise ValueError("colours belong to mode='mixed' or 'binding'")
    default = DEFAULT_CLASSES if mode == 'motion' else DEFAULT_MIXED_MOTIONS
    motions = tuple(classes or default)
    unknown = sorted(set(motions) - set(MOTIONS))
    if unknown:
        raise ValueError(f'unknown motions {unknown}; known: {MOTIONS}')
    if mode == 'motion':
        return list(motions)
    colours = tuple(colours or DEFAULT_MIXED_COLOURS)
    unknown = sorted(set(colours) - set(COLOURS))
    if unknown:
        raise ValueError(f'unknown colours {unknown}; known: '
                         f'{tuple(COLOURS)}')
    if mode == 'mixed':
        return [f'{c}_{m}' for c in colours for m in motions]
    if len(set(colours)) != 2 or len(colours) != 2:
        raise ValueError('binding mode: colours must be two different '
                         f'colours, got {colours}')
    unknown = sorted(set(motions) - set(BINDING_MOTIONS))
    if unknown:
        raise ValueError(f'binding mode: motions {unknown} change the '
                         "object's area or leave it still; use "
                         f'{BINDING_MOTIONS}')
    return [f'{c}{_MOVES}_{m}' for c in colours for m in motions]


def parse_class_name(name: str) -> Tuple[Optional[str], str]:
    """``(colour, motion)`` of a class name (colour ``None``: motion-only).

    The colour of a binding class (``<colour>-moves_<motion>``) is the
    colour of the object that moves.
    """
    head, _, rest = name.partition('_')
    if head.endswith(_MOVES):
        head = head[:-len(_MOVES)]
    if head in COLOURS and rest in MOTIONS:
        return head, rest
    return None, name


def generate_motion_dataset(root: str,
                            videos_per_class: int = 40,
                            num_frames: int = 24,
                            size: int = 40,
                            seed: int = 0,
                            classes: Optional[Sequence[str]] = None,
                            progress: bool = False,
                            mode: str = 'motion',
                            colours: Optional[Sequence[str]] = None,
                            camera_drift: float = 0.0) -> Dict[str, int]:
    """Write the embedded dataset in HMDB51's layout under ``root``.

    Args:
        root (str): Output folder (``videos/`` and
            ``testTrainMulti_7030_splits/`` are created in it).
        videos_per_class (int): Videos per class. Defaults to ``40``.
        num_frames (int): Frames per video. Defaults to ``24``.
        size (int): Frame height and width. Defaults to ``40``. decord
            0.6 misreads MJPG frames of some sizes (16, 24, 48 and 72 seen
            here; 32, 40, 56, 64, 80, 96, 112 and 128 are fine): the first
            video is read back and a size decord cannot read is refused.
        seed (int): The one seed everything is drawn from. Defaults to
            ``0``.
        classes (Sequence[str], optional): Motions to use, from
            :data:`MOTIONS` (:data:`BINDING_MOTIONS` in the binding mode).
            Defaults to :data:`DEFAULT_CLASSES` (motion-only) or
            :data:`DEFAULT_MIXED_MOTIONS` (mixed-cue and binding).
        progress (bool): Print one line per class. Defaults to ``False``.
        mode (str): ``'motion'`` (classes = motions), ``'mixed'``
            (classes = colours x motions) or ``'binding'`` (classes = the
            colour that moves x motions), see the module docstring.
            Defaults to ``'motion'``.
        colours (Sequence[str], optional): Object colours of the mixed-cue
            and binding modes (two in the latter), from :data:`COLOURS`.
            Defaults to :data:`DEFAULT_MIXED_COLOURS`.
        camera_drift (float): Binding mode: the camera's largest drift, px
            per frame (:func:`render_binding_video`). Defaults to ``0``.

    Returns:
        dict: Number of videos per class.
    """
    names = class_names(mode, classes, colours)
    split_dir = osp.join(root, 'testTrainMulti_7030_splits')
    os.makedirs(split_dir, exist_ok=True)
    counts = {}
    for class_index, name in enumerate(names):
        colour, motion = (None, name) if mode == 'motion' else \
            parse_class_name(name)
        # one generator per class: a class's videos do not depend on others
        rng = np.random.default_rng([seed, class_index])
        videos = [f'{name}_{k:03d}.avi' for k in range(videos_per_class)]
        for k, video in enumerate(videos):
            if mode == 'binding':
                pair = tuple(colours or DEFAULT_MIXED_COLOURS)
                static = pair[1 - pair.index(colour)]
                frames = render_binding_video(motion, rng, num_frames, size,
                                              (colour, static), camera_drift)
            else:
                frames = render_video(motion, rng, num_frames, size, colour)
            path = osp.join(root, 'videos', name, video)
            write_avi(path, frames)
            if class_index == 0 and k == 0:
                _check_readable(path, frames)
        for split in (1, 2, 3):
            ids = split_ids(videos_per_class, rng)
            with open(
                    osp.join(split_dir, f'{name}_test_split{split}.txt'),
                    'w') as f:
                f.writelines(f'{v} {i} \n' for v, i in zip(videos, ids))
        counts[name] = videos_per_class
        if progress:
            print(f'[synthetic] {name}: {videos_per_class} videos', flush=True)
    return counts


def embedded_data_root(mode: str = 'motion', quick: bool = False) -> str:
    """Where the jobs keep the embedded data of ``mode``.

    Args:
        mode (str): ``'motion'``, ``'mixed'`` or ``'binding'``. Defaults to
            ``'motion'``.
        quick (bool): The quick check's slice, in a folder of its own so
            that the main job's data is left alone. Defaults to ``False``.

    Returns:
        str: ``'data/synthetic_<mode>'``, relative to the working
        directory, or ``'data/synthetic_<mode>_quick'`` if ``quick``.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    return osp.join('data', f'synthetic_{mode}' + ('_quick' if quick else ''))


def prepare_embedded_data(data_root: str,
                          videos_per_class: int,
                          seed: int,
                          mode: str = 'motion') -> None:
    """Generate the embedded dataset once (a stamp file records how).

    :func:`generate_motion_dataset` into ``data_root`` unless its
    ``.generated`` stamp records the same ``videos_per_class``, ``seed``
    and ``mode``; the stamp is written after the data.

    Args:
        data_root (str): The data's root folder.
        videos_per_class (int): Videos per class.
        seed (int): The dataset's seed.
        mode (str): ``'motion'``, ``'mixed'`` or ``'binding'``. Defaults to
            ``'motion'``.
    """
    stamp = osp.join(data_root, '.generated')
    setting = f'videos_per_class={videos_per_class} seed={seed}\n'
    if mode != 'motion':
        setting = f'mode={mode} ' + setting
    if osp.isfile(stamp) and open(stamp).read() == setting:
        print_log(f'embedded dataset already in {data_root}', 'current')
        return
    print_log(f'generating the embedded dataset in {data_root}', 'current')
    generate_motion_dataset(
        data_root,
        videos_per_class=videos_per_class,
        seed=seed,
        progress=True,
        mode=mode)
    with open(stamp, 'w') as f:
        f.write(setting)
