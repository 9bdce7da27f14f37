"""The only modules that run ffmpeg, load Whisper or the speaker model, call boto3, use Pillow or
fetch over HTTP; each turns its library's errors into ours."""
