"""Studies: concentrations × replicas, run on Dask, resumable, aggregated (study.csv, figures, report)."""

from .aggregate import percolation_onset_of, study_percolation_onset, study_summary
from .runner import Outcome, run_study
from .spec import StudyFileError, StudySpec, load_study

__all__ = ["load_study", "StudySpec", "StudyFileError", "run_study", "Outcome", "study_summary",
           "study_percolation_onset", "percolation_onset_of"]
