/* espy-sim-fault.c: the --fault STEP:KIND syntax.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-sim-device.h"

#include <string.h>

static const struct {
  const char *name;
  EspySimStep step;
} step_names[] = {
  { "magic", ESPY_SIM_STEP_MAGIC },
  { "features", ESPY_SIM_STEP_FEATURES },
  { "auth", ESPY_SIM_STEP_AUTH },
  { "prepare", ESPY_SIM_STEP_PREPARE },
  { "md5", ESPY_SIM_STEP_MD5 },
  { "data", ESPY_SIM_STEP_DATA },
  { "receive", ESPY_SIM_STEP_RECEIVE },
  { "end", ESPY_SIM_STEP_END },
};

static gboolean
parse_error_byte (const char *text,
                  guint8     *out)
{
  guint64 value = 0;
  guint base = 10;

  if (g_ascii_strncasecmp (text, "0x", 2) == 0)
    {
      base = 16;
      text += 2;
    }
  /* g_ascii_string_to_unsigned refuses signs, spaces and trailing junk. */
  if (!g_ascii_string_to_unsigned (text, base, 0, 0xFF, &value, NULL))
    return FALSE;
  *out = (guint8) value;
  return TRUE;
}

gboolean
espy_sim_fault_parse (const char        *text,
                      EspySimStep       *step,
                      EspySimFaultKind  *kind,
                      guint8            *error_byte,
                      GError           **error)
{
  const char *colon;
  const char *kind_text;
  gboolean step_found = FALSE;
  EspySimStep parsed_step = ESPY_SIM_STEP_MAGIC;
  EspySimFaultKind parsed_kind;
  guint8 parsed_byte = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  colon = strchr (text, ':');
  if (colon == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Fault “%s” is not STEP:KIND", text);
      return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (step_names); i++)
    if (strlen (step_names[i].name) == (gsize) (colon - text) &&
        g_ascii_strncasecmp (text, step_names[i].name, colon - text) == 0)
      {
        parsed_step = step_names[i].step;
        step_found = TRUE;
        break;
      }
  if (!step_found)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unknown fault step in “%s” (magic, features, auth, prepare, md5, data, receive, end)",
                   text);
      return FALSE;
    }

  kind_text = colon + 1;
  if (g_ascii_strcasecmp (kind_text, "close") == 0)
    parsed_kind = ESPY_SIM_FAULT_CLOSE;
  else if (g_ascii_strcasecmp (kind_text, "stall") == 0)
    parsed_kind = ESPY_SIM_FAULT_STALL;
  else if (g_ascii_strcasecmp (kind_text, "garbage") == 0)
    {
      parsed_kind = ESPY_SIM_FAULT_GARBAGE;
      parsed_byte = 0x5A;
    }
  else if (g_ascii_strncasecmp (kind_text, "error:", 6) == 0)
    {
      parsed_kind = ESPY_SIM_FAULT_ERROR;
      if (!parse_error_byte (kind_text + 6, &parsed_byte))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Bad error byte in fault “%s” (0x00..0xFF or 0..255)", text);
          return FALSE;
        }
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unknown fault kind in “%s” (close, stall, garbage, error:0xNN)", text);
      return FALSE;
    }

  if (step != NULL)
    *step = parsed_step;
  if (kind != NULL)
    *kind = parsed_kind;
  if (error_byte != NULL)
    *error_byte = parsed_byte;
  return TRUE;
}
