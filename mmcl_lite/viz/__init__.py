"""Plots (matplotlib) and, imported lazily, interactive explorers (ipywidgets)."""
from .images import show_images, show_views
from .plots import (embedding_panel, embedding_scatter, plot_history, plot_label_efficiency,
                    project_2d, results_bar, similarity_matrix)

__all__ = ["show_images", "show_views", "plot_history", "similarity_matrix", "project_2d",
           "embedding_scatter", "embedding_panel", "results_bar", "plot_label_efficiency"]


def __getattr__(name):
    # The explorer is loaded on first use, so importing viz never imports ipywidgets.
    if name in ("EmbeddingExplorer", "explore"):
        from . import explorer

        return getattr(explorer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from .multimodal import confusion_matrix_plot, logit_scale_curve, retrieval_gallery  # noqa: E402

__all__ += ["confusion_matrix_plot", "logit_scale_curve", "retrieval_gallery"]
