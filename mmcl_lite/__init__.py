"""mmcl-lite: contrastive representation learning, from one modality to many."""
__version__ = "0.1.0"
