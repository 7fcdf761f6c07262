"""Media I/O: video frames on a time grid, audio files and tracks, muxing, the FFmpeg binary, atomic files, input checks and crossfades."""
