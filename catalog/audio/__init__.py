"""Songs with sound (issue 16): upload checks, transcoding, loudness, signed streaming.

- ``probe``: is an upload real audio we accept? (decodes it with PyAV)
- ``transcode``: one decode feeding every rendition, loudness and waveform
- ``files``: where the files live in the storage, and how they are removed
- ``services`` / ``selectors``: the writes and reads the API, admin and task call
- ``streaming``: serving a signed URL (ranges, X-Accel-Redirect, S3 redirects)
- ``serializers`` / ``views`` / ``urls``: the HTTP layer
"""
