/* espy-log-line.h: one formatted ESPHome log line, taken apart.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The same numbers as the native API's LogLevel enum. */
typedef enum {
  ESPY_LOG_LEVEL_NONE = 0,  /* no level recognised */
  ESPY_LOG_LEVEL_ERROR = 1,
  ESPY_LOG_LEVEL_WARN = 2,
  ESPY_LOG_LEVEL_INFO = 3,
  ESPY_LOG_LEVEL_CONFIG = 4,
  ESPY_LOG_LEVEL_DEBUG = 5,
  ESPY_LOG_LEVEL_VERBOSE = 6,
  ESPY_LOG_LEVEL_VERY_VERBOSE = 7,
} EspyLogLevel;

/* A range of secret text inside EspyLogLine.text, in bytes: [start, end). */
typedef struct
{
  guint start;
  guint end;
} EspyLogRange;

typedef struct
{
  EspyLogLevel  level;   /* from the [L] letters, else from the colour, else NONE */
  char         *tag;     /* "wifi", "esphome.ota"; NULL when the line has no header */
  guint         line;    /* source line number, 0 when absent */
  char         *task;    /* the other task's name, or NULL */
  char         *text;    /* the message after ": ", valid UTF-8, no ANSI codes;
                            the whole line when there is no header. May hold "\n". */
  GArray       *secrets; /* of EspyLogRange, byte offsets into text, in order */
} EspyLogLine;

#define ESPY_TYPE_LOG_LINE (espy_log_line_get_type ())

GType         espy_log_line_get_type        (void) G_GNUC_CONST;

/* Never fails: a line that is not in ESPHome's format comes back with level
 * NONE, no tag and the cleaned line as text. LEN -1 = NUL-terminated. */
EspyLogLine  *espy_log_line_parse           (const char         *raw,
                                             gssize              len);
EspyLogLine  *espy_log_line_copy            (const EspyLogLine  *self);
void          espy_log_line_free            (EspyLogLine        *self);

/* The text with every secret range replaced by MASK (e.g. "••••••"). */
char         *espy_log_line_dup_text_masked (const EspyLogLine  *self,
                                             const char         *mask);
/* True when the text holds at least one secret. */
gboolean      espy_log_line_has_secrets     (const EspyLogLine  *self);

/* "E", "W", "I", "C", "D", "V", "VV"; "" for NONE. */
const char   *espy_log_level_to_letter      (EspyLogLevel        level);
/* "error", "warn", "info", "config", "debug", "verbose", "very_verbose", "none"
 * (the names the CLI's --level takes). */
const char   *espy_log_level_to_nick        (EspyLogLevel        level);
/* Accepts a nick (any case) or a letter; NONE and FALSE for anything else. */
gboolean      espy_log_level_from_string    (const char         *str,
                                             EspyLogLevel       *level);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyLogLine, espy_log_line_free)

G_END_DECLS
