"""Recordings: audio sources, decoding, lazy transforms and recording sets.

``import nuptse.audio`` loads numpy and the audio modules but not torch;
decoders (soundfile, PyAV) are imported when audio is first read.
"""

from nuptse.audio.backend import (
    AudioInfo,
    audio_backend,
    available_audio_backends,
    clear_audio_handle_cache,
    get_audio_backend_names,
    get_current_audio_backend,
    get_default_audio_backend,
    get_ffmpeg_torchaudio_info_enabled,
    info,
    list_audio_backends,
    read_audio,
    read_audio_samples,
    save_audio,
    set_audio_handle_cache_size,
    set_current_audio_backend,
    set_ffmpeg_torchaudio_info_enabled,
)
from nuptse.audio.errors import (
    AudioFileNotFoundError,
    AudioLoadingError,
    AudioSavingError,
    ChannelNotFoundError,
    CommandNotAllowedError,
    CorruptAudioError,
    DurationMismatchError,
    OffsetOutOfRangeError,
    UnsupportedAudioFormatError,
)
from nuptse.audio.recording import Recording
from nuptse.audio.recording_set import RecordingSet
from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.audio.source import AudioSource, allow_commands, commands_allowed
from nuptse.audio.transforms import (
    AudioTransform,
    Clipping,
    Compress,
    DereverbWPE,
    LoudnessNormalization,
    Resample,
    ReverbWithImpulseResponse,
    Speed,
    Tempo,
    UnknownTransformError,
    Volume,
)
from nuptse.audio.utils import (
    VideoInfo,
    get_audio_duration_mismatch_tolerance,
    null_result_on_audio_loading_error,
    set_audio_duration_mismatch_tolerance,
    suppress_audio_loading_errors,
)

__all__ = [
    "AudioInfo",
    "AudioSource",
    "AudioTransform",
    "Clipping",
    "Compress",
    "DereverbWPE",
    "LoudnessNormalization",
    "Recording",
    "RecordingSet",
    "Resample",
    "ReverbWithImpulseResponse",
    "FastRandomRIRGenerator",
    "Speed",
    "Tempo",
    "Volume",
    "UnknownTransformError",
    "AudioLoadingError",
    "AudioFileNotFoundError",
    "AudioSavingError",
    "ChannelNotFoundError",
    "CommandNotAllowedError",
    "CorruptAudioError",
    "DurationMismatchError",
    "OffsetOutOfRangeError",
    "UnsupportedAudioFormatError",
    "VideoInfo",
    "allow_commands",
    "commands_allowed",
    "audio_backend",
    "available_audio_backends",
    "get_audio_backend_names",
    "get_current_audio_backend",
    "get_default_audio_backend",
    "get_ffmpeg_torchaudio_info_enabled",
    "set_ffmpeg_torchaudio_info_enabled",
    "list_audio_backends",
    "set_current_audio_backend",
    "set_audio_handle_cache_size",
    "clear_audio_handle_cache",
    "info",
    "read_audio",
    "read_audio_samples",
    "save_audio",
    "get_audio_duration_mismatch_tolerance",
    "set_audio_duration_mismatch_tolerance",
    "null_result_on_audio_loading_error",
    "suppress_audio_loading_errors",
]
