/* fuzz-firmware-image.c: libFuzzer target for the firmware image header checks
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>

#include "espy-firmware-image.h"
#include "fuzz-common.h"

/* Every file the user picks goes through espy_firmware_image_new_from_bytes
 * before a byte is sent: magic, gzip, UF2 and factory-image detection, the
 * size limit and the "what is it instead" description. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init_logging ();
  bytes = g_bytes_new (data, size);
  image = espy_firmware_image_new_from_bytes (bytes, "fuzz.bin", &error);
  if (image == NULL)
    {
      g_assert (error != NULL);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  g_assert (error == NULL);
  g_assert (espy_firmware_image_get_size (image) == size);
  g_assert (strlen (espy_firmware_image_get_md5 (image)) == 32);
  (void) espy_firmware_image_get_kind (image);
  return 0;
}
