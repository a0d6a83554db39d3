/* espy-sse-parser.c: server-sent events, byte by byte.
 *
 * The device writes CRLF, but the spec allows LF and CR alone too, and a
 * chunk boundary can fall between the CR and the LF: the parser remembers a
 * trailing CR so the LF that follows in the next chunk is not a blank line.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-sse-parser.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* The data of one event may span many lines (a config dump); bound the
 * whole of it too, so a stream that never sends a blank line cannot grow
 * without limit. */
#define MAX_EVENT_LINES 16

struct _EspySseParser
{
  gsize    max_line;
  GString *line;
  gboolean after_cr;     /* the last byte fed was a CR */
  gboolean at_start;     /* nothing fed yet: a UTF-8 BOM may come */
  gboolean failed;

  /* The event being received. */
  gboolean pending;      /* a field was seen since the last dispatch */
  GString *data;
  gboolean has_data;
  char    *event;
  gint64   retry;
  char    *last_id;

  GQueue   events;
};

G_DEFINE_QUARK (espy-sse-error-quark, espy_sse_error)

void
espy_sse_event_free (EspySseEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->event);
  g_free (event->data);
  g_free (event->id);
  g_free (event);
}

EspySseParser *
espy_sse_parser_new (gsize max_line)
{
  EspySseParser *self = g_new0 (EspySseParser, 1);

  self->max_line = max_line > 0 ? max_line : ESPY_SSE_DEFAULT_MAX_LINE;
  self->line = g_string_new (NULL);
  self->data = g_string_new (NULL);
  self->at_start = TRUE;
  self->retry = -1;
  g_queue_init (&self->events);
  return self;
}

void
espy_sse_parser_free (EspySseParser *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_free (self->event);
  g_free (self->last_id);
  g_queue_clear_full (&self->events, (GDestroyNotify) espy_sse_event_free);
  g_free (self);
}

static void
clear_event (EspySseParser *self)
{
  self->pending = FALSE;
  self->has_data = FALSE;
  g_string_truncate (self->data, 0);
  g_clear_pointer (&self->event, g_free);
  self->retry = -1;
}

void
espy_sse_parser_reset (EspySseParser *self)
{
  g_return_if_fail (self != NULL);

  clear_event (self);
  g_string_truncate (self->line, 0);
  self->after_cr = FALSE;
  self->at_start = TRUE;
  self->failed = FALSE;
}

static void
dispatch (EspySseParser *self)
{
  EspySseEvent *event;

  /* A blank line with nothing before it (keep-alive padding) is no event.
   * Unlike browsers we also dispatch events without data: ESP-IDF's pings
   * carry none, and they are what tells the client the device is alive. */
  if (!self->pending)
    return;

  event = g_new0 (EspySseEvent, 1);
  event->event = self->event != NULL && self->event[0] != '\0' ? g_strdup (self->event)
                                                               : g_strdup ("message");
  event->data = self->has_data ? g_strndup (self->data->str, self->data->len) : NULL;
  event->id = g_strdup (self->last_id);
  event->retry = self->retry;
  g_queue_push_tail (&self->events, event);

  clear_event (self);
}

static gboolean
parse_retry (const char *value,
             gint64     *out)
{
  guint64 ms = 0;

  if (value[0] == '\0')
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      ms = ms * 10 + (guint64) (*p - '0');
      if (ms > G_MAXINT32)
        return FALSE;
    }
  *out = (gint64) ms;
  return TRUE;
}

static gboolean
process_line (EspySseParser  *self,
              GError        **error)
{
  const char *line = self->line->str;
  const char *colon;
  g_autofree char *name = NULL;
  const char *value;

  if (self->line->len == 0)
    {
      dispatch (self);
      return TRUE;
    }

  /* ":" starts a comment (servers use them as keep-alives). */
  if (line[0] == ':')
    return TRUE;

  colon = memchr (line, ':', self->line->len);
  if (colon != NULL)
    {
      name = g_strndup (line, colon - line);
      value = colon + 1;
      /* One space after the colon belongs to the syntax, not the value. */
      if (*value == ' ')
        value++;
    }
  else
    {
      name = g_strdup (line);
      value = "";
    }

  if (strcmp (name, "data") == 0)
    {
      if (self->has_data)
        g_string_append_c (self->data, '\n');
      g_string_append (self->data, value);
      self->has_data = TRUE;
      self->pending = TRUE;
      if (self->data->len > self->max_line * MAX_EVENT_LINES)
        {
          self->failed = TRUE;
          g_set_error (error, ESPY_SSE_ERROR, ESPY_SSE_ERROR_EVENT_TOO_LARGE,
                       _("The device sent an event larger than %llu bytes."),
                       (unsigned long long) (self->max_line * MAX_EVENT_LINES));
          return FALSE;
        }
    }
  else if (strcmp (name, "event") == 0)
    {
      g_free (self->event);
      self->event = g_strdup (value);
      self->pending = TRUE;
    }
  else if (strcmp (name, "id") == 0)
    {
      /* The spec ignores ids with NUL; g_strdup would cut them anyway. */
      if (strlen (value) == (gsize) (self->line->str + self->line->len - value))
        {
          g_free (self->last_id);
          self->last_id = g_strdup (value);
        }
      self->pending = TRUE;
    }
  else if (strcmp (name, "retry") == 0)
    {
      gint64 ms;

      if (parse_retry (value, &ms))
        self->retry = ms;
      self->pending = TRUE;
    }
  /* Other field names are ignored, as the spec says. */

  return TRUE;
}

gboolean
espy_sse_parser_feed (EspySseParser  *self,
                      const char     *data,
                      gsize           len,
                      GError        **error)
{
  gsize i = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (self->failed)
    {
      g_set_error_literal (error, ESPY_SSE_ERROR, ESPY_SSE_ERROR_LINE_TOO_LONG,
                           _("The event stream was already broken by an earlier error."));
      return FALSE;
    }

  while (i < len)
    {
      const char *p = data + i;
      gsize rest = len - i;
      gsize run = 0;

      if (self->at_start)
        {
          /* A UTF-8 BOM may open the stream; it may also be split. */
          static const char bom[] = "\xEF\xBB\xBF";
          gsize have = self->line->len;

          if ((guchar) *p == (guchar) bom[have])
            {
              g_string_append_c (self->line, *p);
              i++;
              if (self->line->len == 3)
                {
                  g_string_truncate (self->line, 0);
                  self->at_start = FALSE;
                }
              continue;
            }
          /* Not a BOM after all: the bytes held back are line content. */
          self->at_start = FALSE;
        }

      if (self->after_cr)
        {
          self->after_cr = FALSE;
          if (*p == '\n')
            {
              i++;
              continue;
            }
        }

      /* Copy the run up to the next line ending in one go. */
      while (run < rest && p[run] != '\n' && p[run] != '\r')
        run++;

      if (self->line->len + run > self->max_line)
        {
          self->failed = TRUE;
          g_set_error (error, ESPY_SSE_ERROR, ESPY_SSE_ERROR_LINE_TOO_LONG,
                       _("The device sent a line longer than %llu bytes."),
                       (unsigned long long) self->max_line);
          return FALSE;
        }
      g_string_append_len (self->line, p, run);
      i += run;

      if (run == rest)
        break;

      /* p[run] is a line ending. */
      self->after_cr = p[run] == '\r';
      i++;
      if (!process_line (self, error))
        return FALSE;
      g_string_truncate (self->line, 0);
    }

  return TRUE;
}

EspySseEvent *
espy_sse_parser_pop (EspySseParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_queue_pop_head (&self->events);
}
