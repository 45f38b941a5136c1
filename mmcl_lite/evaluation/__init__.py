"""Evaluation of frozen representations, for every modality and for image-text models.

embed        embeddings of a dataset (``embed``), the raw-input baseline (``raw_features``)
probes       kNN and linear-probe accuracy
baselines    a method against raw inputs and a random encoder (``compare``)
collapse     embedding std and effective rank
series       time series: TS2Vec's SVM protocol on frozen features (``evaluate_series``)
series_baselines  raw-series SVM, DTW 1-NN, MiniRocket, random encoder; published figures
zeroshot     zero-shot classification from prompts (the prompts come with the dataset)
retrieval    image <-> text Recall@K
subspace     principal angles between a learned and a true subspace
compositional  held-out attribute combinations
missing      a missing caption at test time: probes with and without modality dropout
binding      swapped-binding hard negatives, fusion re-ranking, masked attribute words
tables       text tables of results
"""
from .baselines import baselines, compare, evaluate_method
from .binding import (binding_accuracy, binding_report, masked_word_accuracy, pair_scores,
                      rerank_retrieval)
from .collapse import effective_rank, embedding_std
from .compositional import combination_mask, compositional_accuracy, split_by_combinations
from .missing import fill_missing, missing_modality_curve, missing_modality_report
from .embed import embed, inputs_of, raw_features, raw_pixel_features
from .probes import knn_accuracy, linear_probe_accuracy, probe
from .series import evaluate_series, series_features, svm_accuracy, svm_protocol
from .series_baselines import (PUBLISHED, dtw_1nn_accuracy, minirocket_accuracy,
                               random_encoder_accuracy, raw_svm_accuracy, series_baselines)
from .retrieval import evaluate_retrieval, retrieval_metrics, retrieval_ranks
from .subspace import principal_angles
from .tables import format_table
from .zeroshot import (attribute_labels, image_embeddings, text_embeddings, zero_shot_accuracy,
                       zero_shot_classifier, zero_shot_pretrained)

__all__ = ["embed", "inputs_of", "raw_features", "raw_pixel_features", "knn_accuracy",
           "linear_probe_accuracy", "probe", "evaluate_method", "baselines", "compare",
           "format_table", "embedding_std", "effective_rank", "attribute_labels",
           "image_embeddings", "text_embeddings", "zero_shot_accuracy", "zero_shot_classifier",
           "zero_shot_pretrained", "retrieval_ranks", "retrieval_metrics", "evaluate_retrieval",
           "combination_mask", "split_by_combinations", "compositional_accuracy",
           "svm_protocol", "svm_accuracy", "series_features", "evaluate_series",
           "series_baselines", "raw_svm_accuracy", "dtw_1nn_accuracy", "minirocket_accuracy",
           "random_encoder_accuracy", "PUBLISHED", "binding_accuracy", "binding_report",
           "masked_word_accuracy", "pair_scores", "rerank_retrieval", "principal_angles",
           "fill_missing", "missing_modality_curve", "missing_modality_report"]
