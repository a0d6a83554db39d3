/* espy-log-line.c: ESPHome's log line format, taken apart.
 *
 *   ESC[0;32m[I][wifi:123]: Connected ESC[0m
 *   ESC[0;36m[D][sensor:094]ESC[1;31m[loopTask]ESC[0;36m: value ESC[0m
 *
 * The ANSI codes are stripped first (remembering the first colour and the
 * secret markers ESC[5m ... ESC[6m), then the header is read from plain text.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-log-line.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (EspyLogLine, espy_log_line, espy_log_line_copy, espy_log_line_free)

static const struct {
  EspyLogLevel level;
  const char *letter;
  const char *colour;
  const char *nick;
} levels[] = {
  { ESPY_LOG_LEVEL_ERROR, "E", "1;31", "error" },
  { ESPY_LOG_LEVEL_WARN, "W", "0;33", "warn" },
  { ESPY_LOG_LEVEL_INFO, "I", "0;32", "info" },
  { ESPY_LOG_LEVEL_CONFIG, "C", "0;35", "config" },
  { ESPY_LOG_LEVEL_DEBUG, "D", "0;36", "debug" },
  { ESPY_LOG_LEVEL_VERBOSE, "V", "0;37", "verbose" },
  { ESPY_LOG_LEVEL_VERY_VERBOSE, "VV", "0;38", "very_verbose" },
};

const char *
espy_log_level_to_letter (EspyLogLevel level)
{
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (levels[i].level == level)
      return levels[i].letter;
  return "";
}

const char *
espy_log_level_to_nick (EspyLogLevel level)
{
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (levels[i].level == level)
      return levels[i].nick;
  return "none";
}

gboolean
espy_log_level_from_string (const char   *str,
                            EspyLogLevel *level)
{
  g_return_val_if_fail (level != NULL, FALSE);

  *level = ESPY_LOG_LEVEL_NONE;
  if (str == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (g_ascii_strcasecmp (str, levels[i].nick) == 0 || strcmp (str, levels[i].letter) == 0)
      {
        *level = levels[i].level;
        return TRUE;
      }
  if (g_ascii_strcasecmp (str, "none") == 0)
    return TRUE;
  return FALSE;
}

static EspyLogLevel
level_from_letters (const char *letters,
                    gsize       len)
{
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (strlen (levels[i].letter) == len && strncmp (letters, levels[i].letter, len) == 0)
      return levels[i].level;
  return ESPY_LOG_LEVEL_NONE;
}

static EspyLogLevel
level_from_colour (const char *params)
{
  if (params == NULL)
    return ESPY_LOG_LEVEL_NONE;
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (strcmp (params, levels[i].colour) == 0)
      return levels[i].level;
  return ESPY_LOG_LEVEL_NONE;
}

/* Copies VALID into PLAIN without escape sequences. Records the SGR
 * parameters of a colour that comes before any text, and the secret ranges
 * (offsets into PLAIN). */
static void
strip_ansi (const char  *valid,
            GString     *plain,
            char       **first_colour,
            GArray      *secrets)
{
  const char *p = valid;
  gboolean in_secret = FALSE;
  EspyLogRange range = { 0, 0 };

  while (*p != '\0')
    {
      const char *params;
      gsize params_len;

      if (*p != '\033')
        {
          g_string_append_c (plain, *p);
          p++;
          continue;
        }

      /* A lone ESC (or one cut off at the end) is dropped. */
      p++;
      if (*p != '[')
        continue;
      p++;
      params = p;
      while (*p != '\0' && (g_ascii_isdigit (*p) || *p == ';' || *p == '?'))
        p++;
      params_len = p - params;
      /* A CSI ends with a byte in 0x40..0x7E; a line cut inside one ends it. */
      if (*p == '\0')
        break;
      if ((guchar) *p < 0x40 || (guchar) *p > 0x7E)
        continue;

      if (*p == 'm')
        {
          if (params_len == 1 && params[0] == '5' && !in_secret)
            {
              in_secret = TRUE;
              range.start = plain->len;
            }
          else if (params_len == 1 && params[0] == '6' && in_secret)
            {
              in_secret = FALSE;
              range.end = plain->len;
              g_array_append_val (secrets, range);
            }
          else if (plain->len == 0 && *first_colour == NULL)
            *first_colour = g_strndup (params, params_len);
        }
      p++;
    }

  /* A line cut inside a secret still hides the rest. */
  if (in_secret)
    {
      range.end = plain->len;
      g_array_append_val (secrets, range);
    }
}

/* Reads "[L][tag:line]" with an optional "[task]" and the ": " after it.
 * Returns the header length, or 0 when the text is not in that format. */
static gsize
parse_header (const char    *text,
              EspyLogLevel  *level,
              char         **tag,
              guint         *line,
              char         **task)
{
  const char *p = text;
  const char *end;
  const char *colon;
  EspyLogLevel found;

  if (*p != '[')
    return 0;
  end = strchr (p + 1, ']');
  if (end == NULL)
    return 0;
  found = level_from_letters (p + 1, end - (p + 1));
  if (found == ESPY_LOG_LEVEL_NONE)
    return 0;
  *level = found;
  p = end + 1;

  if (*p != '[')
    return 0;
  end = p + 1;
  while (*end != '\0' && *end != ']' && *end != '\n')
    end++;
  if (*end != ']' || end == p + 1)
    return 0;

  /* "[tag:123]", older firmware "[tag]". */
  colon = end - 1;
  while (colon > p && g_ascii_isdigit (*colon))
    colon--;
  if (*colon == ':' && colon < end - 1 && colon > p + 1)
    {
      *tag = g_strndup (p + 1, colon - (p + 1));
      *line = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
    }
  else
    {
      *tag = g_strndup (p + 1, end - (p + 1));
      *line = 0;
    }
  p = end + 1;

  if (*p == '[')
    {
      end = p + 1;
      while (*end != '\0' && *end != ']' && *end != '\n')
        end++;
      if (*end == ']')
        {
          *task = g_strndup (p + 1, end - (p + 1));
          p = end + 1;
        }
    }

  if (*p != ':')
    {
      g_clear_pointer (tag, g_free);
      g_clear_pointer (task, g_free);
      *line = 0;
      return 0;
    }
  p++;
  if (*p == ' ')
    p++;
  return p - text;
}

EspyLogLine *
espy_log_line_parse (const char *raw,
                     gssize      len)
{
  g_autofree char *valid = NULL;
  g_autofree char *first_colour = NULL;
  g_autoptr(GString) plain = g_string_new (NULL);
  g_autoptr(GArray) secrets = g_array_new (FALSE, FALSE, sizeof (EspyLogRange));
  EspyLogLine *self;
  EspyLogLevel level = ESPY_LOG_LEVEL_NONE;
  gsize header_len;

  g_return_val_if_fail (raw != NULL || len == 0, NULL);

  if (raw == NULL)
    raw = "";
  /* Lines can be cut mid-character (the device truncates long ones). */
  valid = g_utf8_make_valid (raw, len);
  strip_ansi (valid, plain, &first_colour, secrets);

  self = g_new0 (EspyLogLine, 1);
  self->secrets = g_array_new (FALSE, FALSE, sizeof (EspyLogRange));

  header_len = parse_header (plain->str, &level, &self->tag, &self->line, &self->task);
  self->level = level != ESPY_LOG_LEVEL_NONE ? level : level_from_colour (first_colour);
  self->text = g_strdup (plain->str + header_len);

  for (guint i = 0; i < secrets->len; i++)
    {
      EspyLogRange r = g_array_index (secrets, EspyLogRange, i);

      if (r.end <= header_len)
        continue;
      r.start = r.start > header_len ? r.start - (guint) header_len : 0;
      r.end -= (guint) header_len;
      if (r.end > r.start)
        g_array_append_val (self->secrets, r);
    }

  return self;
}

EspyLogLine *
espy_log_line_copy (const EspyLogLine *self)
{
  EspyLogLine *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (EspyLogLine, 1);
  copy->level = self->level;
  copy->tag = g_strdup (self->tag);
  copy->line = self->line;
  copy->task = g_strdup (self->task);
  copy->text = g_strdup (self->text);
  copy->secrets = g_array_new (FALSE, FALSE, sizeof (EspyLogRange));
  if (self->secrets != NULL && self->secrets->len > 0)
    g_array_append_vals (copy->secrets, self->secrets->data, self->secrets->len);
  return copy;
}

void
espy_log_line_free (EspyLogLine *self)
{
  if (self == NULL)
    return;
  g_free (self->tag);
  g_free (self->task);
  g_free (self->text);
  g_clear_pointer (&self->secrets, g_array_unref);
  g_free (self);
}

gboolean
espy_log_line_has_secrets (const EspyLogLine *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->secrets != NULL && self->secrets->len > 0;
}

char *
espy_log_line_dup_text_masked (const EspyLogLine *self,
                               const char        *mask)
{
  GString *out;
  guint pos = 0;

  g_return_val_if_fail (self != NULL, NULL);

  if (mask == NULL)
    mask = "";
  out = g_string_new (NULL);
  for (guint i = 0; self->secrets != NULL && i < self->secrets->len; i++)
    {
      EspyLogRange r = g_array_index (self->secrets, EspyLogRange, i);

      g_string_append_len (out, self->text + pos, r.start - pos);
      g_string_append (out, mask);
      pos = r.end;
    }
  g_string_append (out, self->text + pos);
  return g_string_free (out, FALSE);
}
