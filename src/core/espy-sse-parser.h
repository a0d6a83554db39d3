/* espy-sse-parser.h: an incremental parser for server-sent events
 * (text/event-stream), as the device web server's /events sends them.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESPY_SSE_ERROR (espy_sse_error_quark ())

typedef enum {
  ESPY_SSE_ERROR_LINE_TOO_LONG,   /* one line longer than the parser's limit */
  ESPY_SSE_ERROR_EVENT_TOO_LARGE, /* the data lines of one event add up past the limit */
} EspySseError;

#define ESPY_SSE_DEFAULT_MAX_LINE (64 * 1024)

typedef struct
{
  char   *event; /* the event: field, "message" when the event had none */
  char   *data;  /* data: lines joined with "\n"; "" for an empty data: line,
                    NULL when the event had no data: line at all */
  char   *id;    /* the last event id seen on the stream (it persists), or NULL */
  gint64  retry; /* the retry: field of this event in ms, or -1 */
} EspySseEvent;

typedef struct _EspySseParser EspySseParser;

GQuark         espy_sse_error_quark   (void);

void           espy_sse_event_free    (EspySseEvent   *event);

/* MAX_LINE bytes per line (without its line ending); 0 = the default. */
EspySseParser *espy_sse_parser_new    (gsize           max_line);
void           espy_sse_parser_free   (EspySseParser  *self);

/* Feeds LEN bytes; complete events queue up for espy_sse_parser_pop().
 * Once it has failed the parser stays failed: the stream cannot be trusted. */
gboolean       espy_sse_parser_feed   (EspySseParser  *self,
                                       const char     *data,
                                       gsize           len,
                                       GError        **error);

/* The oldest complete event (the caller frees it), or NULL. */
EspySseEvent  *espy_sse_parser_pop    (EspySseParser  *self);

/* Forgets a half-received event and line, e.g. when the stream reconnects.
 * The last event id is kept, as the spec wants. */
void           espy_sse_parser_reset  (EspySseParser  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspySseEvent, espy_sse_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspySseParser, espy_sse_parser_free)

G_END_DECLS
