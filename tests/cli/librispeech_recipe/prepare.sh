#!/usr/bin/env bash
# A LibriSpeech recipe's data preparation, as icefall's egs/librispeech/ASR/prepare.sh
# runs it, with `lhotse` replaced by `nuptse` (the commands, options and file names
# are lhotse's).  Runs on small fixture corpora in the test suite:
#
#   prepare.sh DL_DIR WORK_DIR [NUM_JOBS]
#
# DL_DIR holds LibriSpeech/ (with LibriSpeech-Alignments/ optional) and musan/.
# Set NUPTSE to the command to run (default: nuptse) and PYTHON to the
# interpreter for the feature scripts (default: python3).
set -euo pipefail

dl_dir=$(realpath "$1")
work_dir=$2
nj=${3:-2}
NUPTSE=${NUPTSE:-nuptse}
PYTHON=${PYTHON:-python3}
here=$(dirname "$(realpath "$0")")

mkdir -p "$work_dir"
cd "$work_dir"

log() {
  echo "$(date '+%Y-%m-%d %H:%M:%S') (prepare.sh) $*"
}

log "Stage 1: Prepare LibriSpeech manifest"
mkdir -p data/manifests
if [ ! -e data/manifests/.librispeech.done ]; then
  $NUPTSE prepare librispeech -j "$nj" \
    --alignments-dir "$dl_dir/LibriSpeech-Alignments" \
    "$dl_dir/LibriSpeech" data/manifests
  touch data/manifests/.librispeech.done
fi

log "Stage 2: Prepare musan manifest"
if [ ! -e data/manifests/.musan.done ]; then
  $NUPTSE prepare musan "$dl_dir/musan" data/manifests
  touch data/manifests/.musan.done
fi

log "Stage 3: Compute fbank for librispeech (speed perturbation for train)"
mkdir -p data/fbank
if [ ! -e data/fbank/.librispeech.done ]; then
  $PYTHON "$here/compute_fbank_librispeech.py" --num-jobs "$nj"
  touch data/fbank/.librispeech.done
fi

log "Stage 4: Compute fbank for musan"
if [ ! -e data/fbank/.musan.done ]; then
  $PYTHON "$here/compute_fbank_musan.py"
  touch data/fbank/.musan.done
fi

log "Stage 5: Combine the training parts, take dev subsets"
$NUPTSE combine \
  data/fbank/librispeech_cuts_train-clean-100.jsonl.gz \
  data/fbank/librispeech_cuts_train-other-500.jsonl.gz \
  data/fbank/librispeech_cuts_train-all.jsonl.gz
$NUPTSE subset --first 2 \
  data/fbank/librispeech_cuts_dev-clean.jsonl.gz \
  data/fbank/librispeech_cuts_dev-clean-first2.jsonl.gz
$NUPTSE -s 13 split 2 data/fbank/librispeech_cuts_train-all.jsonl.gz data/fbank/split2 --shuffle
$NUPTSE filter 'duration>2.5' \
  data/fbank/librispeech_cuts_test-clean.jsonl.gz \
  data/fbank/librispeech_cuts_test-clean-long.jsonl.gz

log "Stage 6: Validate"
for part in dev-clean train-clean-100; do
  $NUPTSE validate-pair \
    "data/manifests/librispeech_recordings_${part}.jsonl.gz" \
    "data/manifests/librispeech_supervisions_${part}.jsonl.gz"
done
$NUPTSE validate --read-data data/fbank/librispeech_cuts_train-all.jsonl.gz
$NUPTSE validate --read-data data/fbank/musan_cuts.jsonl.gz

log "Done"
