"""Speaker view: a presenter's second window (`/speaker?share=<key>`, opened from **Room** in the
presenter's view): the slide on screen with its speaker notes, the next slide, the time since
sharing started and how many follow; Previous and Next move the slide for the room."""

from pts_explorer.ui import speaker

speaker.view()
