"""The provider API's limits on a request and its references (API_NOTES.md).

A module of plain constants with no imports, so the sandboxed media workers can read them
without loading pydantic.
"""

MAX_PROMPT_CHARS = 1500
MAX_REFERENCES = 3
MIN_REFERENCE_SECONDS = 2.0
MAX_REFERENCE_SECONDS = 30.0
MAX_REFERENCE_BYTES = 100 * 1000 * 1000  # "100MB" as the provider documents it
MAX_CALLBACK_URL_CHARS = 2048

# The app's own limits on what one visitor may ask of it (a public Space: every caller may be
# hostile). The links box holds one link per reference; more than this is not a form anyone filled.
MAX_LINKS_BOX_LINES = 20  # lines in the "Reference video URLs" box (blank ones too)
MAX_LINKS_BOX_CHARS = 10_000  # characters in it (3 links of the longest kind fit)
# Estimates (the /estimate API and the page's own refreshes) that probe references, per visitor
# (`components/identity.visitor_of`): at most ESTIMATES_AT_ONCE run, ESTIMATES_WAITING more wait
# their turn (at most ESTIMATE_WAIT_SECONDS), and at most ESTIMATES_PER_MINUTE start in any
# minute. The page's bursts (a Remix or a provider switch re-prices 3-5 times at once) wait, and
# a person clicking or typing fast stays under the minute's count.
ESTIMATES_AT_ONCE = 2
ESTIMATES_WAITING = 4
ESTIMATE_WAIT_SECONDS = 30.0
ESTIMATES_PER_MINUTE = 60
# Variations of one request generated at once (issue 20), each with its own seed and record.
MAX_VARIATIONS = 4
MAX_FILM_SHOTS = 6  # shots in one film (issue 20): each is its own paid generation

# Reference images (../shared/MODELS.md 1a, 3a, 4b, 5). The sources disagree (Alibaba's pages:
# 240-8000 px, 20 MB; resellers' copies and Comfy Router: 360-2000 px, 10 MB), so what is sent
# satisfies all of them: each side 360-2000 px, at most 10 MB, no alpha channel, JPEG, PNG, BMP
# or WEBP. Images are not billed as input seconds by any provider that documents its billing
# (only input *video* seconds are named), so they do not change the estimate.
IMAGE_FORMATS = ("jpeg", "png", "bmp", "webp")  # sniffed names (`media.sniff`) a provider takes
MIN_IMAGE_SIDE = 360  # px, each side
MAX_IMAGE_SIDE = 2000  # px, each side
MAX_IMAGE_BYTES = 10 * 1000 * 1000
MAX_IMAGE_REFERENCES = 5  # images 0-5 and images + videos <= 5 (Wan 2.6 and 2.7)
MAX_ALL_REFERENCES = 5
# What the app accepts to fix (the person's photo before fixing): a phone's 12-108 MP photo is
# scaled down. Above MAX_IMAGE_SOURCE_PIXELS the header alone refuses it (a decompression bomb
# declares billions); formats decoded at full size (all but JPEG, which is decoded already
# reduced) must stay under MAX_IMAGE_DECODED_PIXELS so decoding fits the worker's memory cap.
MAX_IMAGE_SOURCE_BYTES = 50 * 1000 * 1000
MAX_IMAGE_SOURCE_PIXELS = 120_000_000
MAX_IMAGE_DECODED_PIXELS = 50_000_000

# Voices (Wan 2.7's per-reference voice; MODELS.md 3c, 4b):
# wav or mp3, 1-10 s, at most 15 MB. Whether a voice is billed is not documented anywhere, so
# it does not change the estimate.
VOICE_FORMATS = ("wav", "mp3")
MIN_VOICE_SECONDS = 1.0
MAX_VOICE_SECONDS = 10.0
MAX_VOICE_BYTES = 15 * 1000 * 1000
MAX_VOICE_SOURCE_BYTES = MAX_REFERENCE_BYTES  # an audio file or a clip whose sound is the voice

# The cast (issue 20): a visitor's saved characters, each a reference as it will be sent.
MAX_CAST_CHARACTERS = 12  # per owner (a public Space: each keeps a clip or photo in storage)
MAX_CHARACTER_NAME_CHARS = 40
