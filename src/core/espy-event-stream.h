/* espy-event-stream.h: the device web server's live events (GET /events,
 * server-sent events): pings, entity states and log lines as they come.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define ESPY_EVENT_STREAM_ERROR (espy_event_stream_error_quark ())

typedef enum {
  ESPY_EVENT_STREAM_ERROR_CONNECT,             /* could not connect to the web server */
  ESPY_EVENT_STREAM_ERROR_TIMEOUT,             /* no answer, or silence longer than the idle timeout */
  ESPY_EVENT_STREAM_ERROR_AUTH_REQUIRED,       /* 401 and no user name given */
  ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS,   /* 401 after sending credentials */
  ESPY_EVENT_STREAM_ERROR_NOT_FOUND,           /* 404: no /events on this web server */
  ESPY_EVENT_STREAM_ERROR_UNEXPECTED_RESPONSE, /* another status, or not text/event-stream */
  ESPY_EVENT_STREAM_ERROR_PROTOCOL,            /* a malformed stream (over-long line) */
  ESPY_EVENT_STREAM_ERROR_CLOSED,              /* the device ended the stream */
} EspyEventStreamError;

#define ESPY_EVENT_STREAM_DEFAULT_CONNECT_TIMEOUT_MS 20000
/* Devices ping every 10 s; a device busy with a native OTA stalls longer. */
#define ESPY_EVENT_STREAM_DEFAULT_IDLE_TIMEOUT_MS    60000

GQuark espy_event_stream_error_quark (void);

/* Signals, on the thread-default main context of connect_async's caller:
 *   ::ping (JsonObject *info)   info is the first ping's {"title", "comment",
 *        "ota", "log", "lang"}; NULL for the empty keep-alive pings
 *   ::state (JsonObject *state) one entity: {"id": "sensor-temperature", ...}
 *   ::log (const char *line)    one formatted log line, ANSI codes and all
 *        (see EspyLogLine); may hold "\n"
 *   ::closed (GError *error)    the stream ended, once per successful connect;
 *        not emitted after espy_event_stream_close() or on finalization.
 *        Cancelling the connect cancellable ends it with G_IO_ERROR_CANCELLED. */
#define ESPY_TYPE_EVENT_STREAM (espy_event_stream_get_type ())
G_DECLARE_FINAL_TYPE (EspyEventStream, espy_event_stream, ESPY, EVENT_STREAM, GObject)

/* PORT 0 = 80. */
EspyEventStream *espy_event_stream_new             (const char          *host,
                                                    guint16              port);
/* USER NULL or "" = none; otherwise preemptive Basic, Digest when challenged. */
void             espy_event_stream_set_credentials (EspyEventStream     *self,
                                                    const char          *user,
                                                    const char          *password);
/* IDLE_MS 0 = wait for data forever. */
void             espy_event_stream_set_timeouts    (EspyEventStream     *self,
                                                    guint                connect_ms,
                                                    guint                idle_ms);

/* Completes when the device answered with an event stream; events then flow
 * until the stream ends. CANCELLABLE covers the whole life of the stream. */
void             espy_event_stream_connect_async   (EspyEventStream     *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         espy_event_stream_connect_finish  (EspyEventStream     *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* Stops the stream (or a connect in progress, which then fails with
 * G_IO_ERROR_CANCELLED). Safe to call at any time, also from a handler. */
void             espy_event_stream_close           (EspyEventStream     *self);
gboolean         espy_event_stream_is_open         (EspyEventStream     *self);

G_END_DECLS
