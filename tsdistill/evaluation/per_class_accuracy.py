# Copyright (c) tsdistill authors. All rights reserved.
"""Top-1 accuracy per class, and per attribute of the classes.

Where the student's gain comes from: on the motion-only embedded data, its
accuracy per motion beside the RGB baseline's; on the mixed-cue data
(classes ``<colour>_<motion>``), how often it gets the colour right and how
often the motion, whatever the other (the flow teacher sees the motion,
not the colour; the RGB model sees the colour).
"""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric


@METRICS.register_module()
class PerClassAccuracy(BaseMetric):
    """Top-1 accuracy of every class and of every attribute of the classes.

    Reports ``per_class/<class name>``: the fraction of the test samples of
    that class predicted as it (a row of the confusion matrix's diagonal);
    and, for each attribute, ``per_class/attribute_<name>``: the fraction
    of all test samples whose predicted class has the true class's value
    of that attribute (e.g. the colour right, whatever the motion).

    Args:
        classes (Sequence[str]): Class names in label order.
        attributes (dict, optional): ``{attribute: values}``, the value of
            the attribute for every class, in label order, e.g.
            ``{'colour': ['blue', 'blue', 'red', 'red'], 'motion': [...]}``.
            Defaults to ``None`` (per-class accuracy only).
        collect_device (str): See :class:`mmengine.evaluator.BaseMetric`.
            Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to
            ``'per_class'``.
    """

    default_prefix = 'per_class'

    def __init__(self,
                 classes: Sequence[str],
                 attributes: Optional[Dict[str, Sequence[str]]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.classes = list(classes)
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f'class names repeat: {self.classes}')
        self.attributes = {k: list(v) for k, v in (attributes or {}).items()}
        for name, values in self.attributes.items():
            if len(values) != len(self.classes):
                raise ValueError(
                    f'attribute {name!r} has {len(values)} values for '
                    f'{len(self.classes)} classes')

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep the true and the predicted label of every sample."""
        for sample in data_samples:
            label = sample['gt_label']
            if label.numel() != 1:
                raise ValueError('PerClassAccuracy needs single-label '
                                 f'samples, got gt_label {label.tolist()}')
            self.results.append(
                (int(label.item()), int(sample['pred_score'].argmax())))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Accuracies (fractions) keyed by class and ``attribute_<name>``.
        """
        truth = np.array([r[0] for r in results])
        pred = np.array([r[1] for r in results])
        metrics = {}
        for label, name in enumerate(self.classes):
            of_class = truth == label
            if of_class.any():
                metrics[name] = float((pred[of_class] == label).mean())
        for name, values in self.attributes.items():
            values = np.asarray(values)
            metrics[f'attribute_{name}'] = float(
                (values[pred] == values[truth]).mean())
        return metrics
