"""2D maps of layers: PCA, standardised PCA, t-SNE, UMAP and original axes."""

from tagscape.projections.maps import METHODS, MapStore, Projection, project, project_track_means

__all__ = ["METHODS", "MapStore", "Projection", "project", "project_track_means"]
