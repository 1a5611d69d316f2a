"""How long each part of a pack may be, chosen so every rendered message fits Telegram's limits.

A question message holds the text, up to 12 numbered options and a header: 1000 + 12 * 110 +
100 characters stays far below the 4096 a message may hold, and a tip or question text fits a
photo caption (1024) should a pack later carry images. An option fits a poll option (100), and
an id fits a callback payload (64 bytes) together with the action and an option number.
"""

ID_MIN = 3
ID_MAX = 40
TITLE_MAX = 100
DESCRIPTION_MAX = 300
TIP_TEXT_MAX = 1000
QUESTION_TEXT_MAX = 1000
EXPLANATION_MAX = 1000
OPTION_MAX = 100
OPTIONS_MIN = 2
OPTIONS_MAX = 12
URL_MAX = 500

# The discernment checkup: a headline or post fits a message with room to spare (and reads in
# seconds); its explanation is shown once the checkup is over, several to a message. A checkup
# shows this many real and this many false items; a language's pool needs at least the least
# of each to be used (until then its people get the English checkup).
CHECKUP_TEXT_MAX = 300
CHECKUP_EXPLANATION_MAX = 500
CHECKUP_PER_SIDE = 5
CHECKUP_MIN_PER_SIDE = 4

# A question's picture: a PNG or JPEG beside the pack, sent as a Telegram photo (at most 10 MB;
# width + height at most 10000; sides at most 20 to 1). Kept small for slow data.
IMAGE_BYTES_MAX = 1024 * 1024
IMAGE_SIDE_MAX = 2560
ALT_MAX = 300

# The least every competency should have in a language, in tips and in questions: the
# languages of the MIL networks the bot serves first, then MIL CLICKS' own; any other: 1.
FLOORS = {
    **dict.fromkeys(("en", "ms", "id", "fil", "th", "vi", "km", "ru", "kk", "uz"), 4),
    **dict.fromkeys(("pt", "sr", "ar"), 2),
}
DEFAULT_FLOOR = 1
