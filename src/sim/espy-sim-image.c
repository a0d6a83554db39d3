/* espy-sim-image.c: simulated firmware images and the marker in them that
 * tells the simulator what it "runs" after an upload.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "espy-sim-device.h"
#include "espy-sim-private.h"

#include <string.h>

#define HEADER_LEN     24
#define MARKER_OFFSET  32
/* Marker fields end at the newline; bound the scan so a stray marker in
 * random bytes cannot make us read far. */
#define MARKER_MAX_LEN 512

/* An esp_image_header_t as esptool writes it for an ESP32 app. */
static const guint8 image_header[HEADER_LEN] = {
  0xE9,                   /* magic */
  0x05,                   /* segment count */
  0x02,                   /* SPI mode: DIO */
  0x20,                   /* 4 MB flash, 40 MHz */
  0x50, 0x1B, 0x08, 0x40, /* entry point 0x40081B50 (IRAM), little-endian */
  0xEE,                   /* WP pin: not used */
  0x00, 0x00, 0x00,       /* SPI pin drive */
  0x00, 0x00,             /* chip id: ESP32 */
  0x00,                   /* min chip revision */
  0x00, 0x00,             /* min chip revision (full) */
  0xFF, 0xFF,             /* max chip revision (full) */
  0x00, 0x00, 0x00, 0x00, /* reserved */
  0x01,                   /* SHA256 appended */
};

static void
copy_clipped (guint8       *data,
              gsize         size,
              gsize         offset,
              const void   *src,
              gsize         len)
{
  if (offset >= size)
    return;
  memcpy (data + offset, src, MIN (len, size - offset));
}

GBytes *
espy_sim_make_image (gsize        size,
                     const char  *version,
                     const char  *compilation_time,
                     guint32      seed)
{
  guint8 *data = g_malloc (MAX (size, 1));
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint64 state;
  gsize i;
  guint8 segment[8];
  guint32 seg_len;

  /* xorshift64*: g_rand per byte is far too slow for 16 MiB images. */
  state = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
  if (state == 0)
    state = G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  for (i = 0; i + 8 <= size; i += 8)
    {
      guint64 v;

      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      v = state * G_GUINT64_CONSTANT (0x2545F4914F6CDD1D);
      memcpy (data + i, &v, 8);
    }
  for (; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);

  copy_clipped (data, size, 0, image_header, HEADER_LEN);

  /* First segment header: load address in DROM, then its length. */
  seg_len = size > MARKER_OFFSET ? (guint32) MIN (size - MARKER_OFFSET, G_MAXUINT32) : 0;
  segment[0] = 0x20; segment[1] = 0x00; segment[2] = 0x40; segment[3] = 0x3F;
  segment[4] = seg_len & 0xFF;
  segment[5] = (seg_len >> 8) & 0xFF;
  segment[6] = (seg_len >> 16) & 0xFF;
  segment[7] = (seg_len >> 24) & 0xFF;
  copy_clipped (data, size, HEADER_LEN, segment, sizeof segment);

  if (version != NULL)
    {
      g_autoptr(GString) marker = g_string_new (ESPY_SIM_IMAGE_MARKER);

      g_string_append_printf (marker, "version=%s;", version);
      if (compilation_time != NULL)
        g_string_append_printf (marker, "compilation_time=%s;", compilation_time);
      g_string_append_c (marker, '\n');
      /* Only a whole marker: a cut one would read as a different version. */
      if (size >= MARKER_OFFSET + marker->len)
        memcpy (data + MARKER_OFFSET, marker->str, marker->len);
    }

  return g_bytes_new_take (data, size);
}

gboolean
espy_sim_image_parse_marker_data (const guint8  *data,
                                  gsize          len,
                                  char         **version,
                                  char         **compilation_time)
{
  static const gsize marker_len = sizeof ESPY_SIM_IMAGE_MARKER - 1;
  const guint8 *p;
  const guint8 *end;
  g_autofree char *found_version = NULL;
  g_autofree char *found_time = NULL;

  if (version != NULL)
    *version = NULL;
  if (compilation_time != NULL)
    *compilation_time = NULL;
  if (data == NULL)
    return FALSE;

  p = memmem (data, len, ESPY_SIM_IMAGE_MARKER, marker_len);
  if (p == NULL)
    return FALSE;
  p += marker_len;
  end = MIN (data + len, p + MARKER_MAX_LEN);

  /* key=value; pairs up to the newline. */
  while (p < end && *p != '\n')
    {
      const guint8 *eq = memchr (p, '=', end - p);
      const guint8 *semi;
      g_autofree char *key = NULL;

      if (eq == NULL)
        break;
      semi = memchr (eq, ';', end - eq);
      if (semi == NULL)
        break;
      key = g_strndup ((const char *) p, eq - p);
      if (g_str_equal (key, "version"))
        {
          g_free (found_version);
          found_version = g_strndup ((const char *) eq + 1, semi - eq - 1);
        }
      else if (g_str_equal (key, "compilation_time"))
        {
          g_free (found_time);
          found_time = g_strndup ((const char *) eq + 1, semi - eq - 1);
        }
      p = semi + 1;
    }

  if (found_version == NULL || *found_version == '\0' || !g_utf8_validate (found_version, -1, NULL))
    return FALSE;
  if (found_time != NULL && !g_utf8_validate (found_time, -1, NULL))
    g_clear_pointer (&found_time, g_free);

  if (version != NULL)
    *version = g_steal_pointer (&found_version);
  if (compilation_time != NULL)
    *compilation_time = g_steal_pointer (&found_time);
  return TRUE;
}

gboolean
espy_sim_image_parse_marker (GBytes  *image,
                             char   **version,
                             char   **compilation_time)
{
  gsize len = 0;
  const guint8 *data = image != NULL ? g_bytes_get_data (image, &len) : NULL;

  return espy_sim_image_parse_marker_data (data, len, version, compilation_time);
}

char *
espy_sim_compilation_time_now (void)
{
  /* C locale month names, as the compiler's __DATE__ writes them. */
  static const char *const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_strdup_printf ("%s %2d %d, %02d:%02d:%02d",
                          months[g_date_time_get_month (now) - 1],
                          g_date_time_get_day_of_month (now),
                          g_date_time_get_year (now),
                          g_date_time_get_hour (now),
                          g_date_time_get_minute (now),
                          g_date_time_get_second (now));
}

gboolean
espy_sim_image_parse_ota_marker (GBytes  *image,
                                 char   **password)
{
  static const char marker[] = ESPY_SIM_OTA_MARKER;
  gsize len = 0;
  const char *data = image != NULL ? g_bytes_get_data (image, &len) : NULL;
  const char *p = data != NULL ? memmem (data, len, marker, sizeof marker - 1) : NULL;
  const char *end;
  GString *out;

  *password = NULL;
  if (p == NULL)
    return FALSE;
  end = memchr (p, ';', len - (gsize) (p - data));
  if (end == NULL)
    return FALSE;
  p += sizeof marker - 1;
  if (g_str_has_prefix (p, "password=none;"))
    return TRUE;
  if (!g_str_has_prefix (p, "password_hex="))
    return FALSE;
  out = g_string_new (NULL);
  for (p += strlen ("password_hex="); p + 1 < end; p += 2)
    {
      int hi = g_ascii_xdigit_value (p[0]);
      int lo = g_ascii_xdigit_value (p[1]);

      if (hi < 0 || lo < 0)
        {
          g_string_free (out, TRUE);
          return FALSE;
        }
      g_string_append_c (out, (char) (hi * 16 + lo));
    }
  *password = g_string_free (out, FALSE);
  return TRUE;
}
