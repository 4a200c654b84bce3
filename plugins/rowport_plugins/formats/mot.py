"""MOT Challenge ground truth: ``<video>/gt/gt.txt`` and ``<video>/seqinfo.ini`` per video.

Each line is ``frame,id,left,top,width,height,1,class,1`` (frames 1-based as in the export,
pixels, track ids from 1 per video in order of appearance, classes from 1 in ontology order).
Boxes come from the label's keyframes, and the frames between them inside each segment are
interpolated linearly (as the export's ``interpolated_frames`` does) unless the export did it
already or ``interpolate`` is off. ``seqinfo.ini`` declares the frame rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rowport import hookimpl
from rowport.formats import Categories, FormatContext, FormatOption, FormatSpec, safe_stem
from rowport_plugins._video_frames import interpolate_frames
from rowport_plugins.formats._image import number

__all__ = ["SPEC", "MotWriter"]


class MotWriter:
    """Writes one MOT sequence per video row."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.categories = Categories(1, None, "mot")

    def _frames(self, annotations: Mapping[str, Any], frame_count: Any) -> Mapping[str, Any]:
        frames = annotations.get("frames") or {}
        if not self.context.options["interpolate"]:
            return frames
        filled = interpolate_frames(
            annotations, frame_count if isinstance(frame_count, int) else None
        )
        return frames if filled is None else filled

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each video's sequence."""
        context = self.context
        for row in rows:
            selected = context.select(row)
            if selected is None:
                continue
            attributes = row.get("media_attributes") or {}
            fps = context.options["fps"] or attributes.get("frame_rate")
            if not isinstance(fps, (int, float)) or fps <= 0:
                context.lose("row_unreadable_skipped", selected.row_id, "no frame_rate; pass fps")
                continue
            self.categories.add_ontology(context.ontology(selected.source_id), ("bbox",))
            annotations = selected.annotations or {}
            if annotations.get("classifications"):
                context.lose(
                    "classification_dropped",
                    selected.row_id,
                    count=len(annotations["classifications"]),
                )
            tracks: dict[str, int] = {}
            lines: list[tuple[int, int, str]] = []
            dropped_extras: set[str] = set()
            frames = self._frames(annotations, attributes.get("frame_count"))
            for key, frame in frames.items():
                if not str(key).isdigit():
                    continue
                number_ = int(key)
                if frame.get("classifications"):
                    context.lose("classification_dropped", selected.row_id, f"frame {key}")
                for fid, obj in (frame.get("objects") or {}).items():
                    box = obj.get("bounding_box")
                    if not box:
                        context.lose("object_dropped", selected.row_id, obj.get("annotation_kind"))
                        continue
                    track = tracks.setdefault(fid, len(tracks) + 1)
                    category = self.categories.id_of(str(obj.get("name")))
                    if fid not in dropped_extras:
                        dropped_extras.add(fid)
                        context.drop_object_extras(selected, obj)
                    values = (box["left"], box["top"], box["width"], box["height"])
                    text = ",".join(number(float(v)) for v in values)
                    lines.append((number_, track, f"{number_},{track},{text},1,{category},1\n"))
            lines.sort()
            name = safe_stem(str((row.get("data_row") or {}).get("external_id") or selected.row_id))
            sequence = context.directory / name
            if sequence.exists():
                name = f"{name}-{safe_stem(selected.row_id)}"
                sequence = context.directory / name
            (sequence / "gt").mkdir(parents=True)
            (sequence / "gt" / "gt.txt").write_text("".join(line for _, _, line in lines))
            (sequence / "seqinfo.ini").write_text(
                "[Sequence]\n"
                f"name={name}\nimDir=img1\nframeRate={number(float(fps))}\n"
                f"seqLength={attributes.get('frame_count', '')}\n"
                f"imWidth={attributes.get('width', '')}\nimHeight={attributes.get('height', '')}\n"
                "imExt=.jpg\n"
            )
            context.wrote()

    def finish(self) -> None:
        """Write ``classes.txt``: ``id name`` per class."""
        text = "".join(f"{i} {name}\n" for i, name in self.categories.names())
        (self.context.directory / "classes.txt").write_text(text)


SPEC = FormatSpec(
    name="mot",
    summary="MOT Challenge gt.txt per video, keyframes and interpolated frames",
    media_types=("video",),
    annotation_kinds=("VideoBoundingBox",),
    layout=(
        "<video>/gt/gt.txt (frame,id,left,top,width,height,1,class,1)",
        "<video>/seqinfo.ini (frameRate, seqLength, imWidth, imHeight)",
        "classes.txt",
        "lossiness.json",
    ),
    writer=MotWriter,
    options=(
        FormatOption(
            name="fps",
            type=float,
            help="The frame rate to declare (default: the row's media_attributes.frame_rate).",
        ),
        FormatOption(
            name="interpolate",
            type=bool,
            default=True,
            help="Fill the frames between keyframes inside each segment (as the export's"
            " interpolated_frames param does).",
        ),
    ),
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the MOT Challenge format."""
    register(SPEC)
