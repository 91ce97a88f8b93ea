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
