/* espy-ota-error.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-ota-error.h"

#include <glib/gi18n-lib.h>

G_DEFINE_QUARK (espy-ota-error-quark, espy_ota_error)

/* One row per error code, indexed by the code itself: the device byte (-1 for
 * failures on our side), the stable nick and the user-facing explanation.
 * Descriptions are N_() here and translated when asked for. */
typedef struct {
  EspyOtaError  code;
  int           response;
  const char   *nick;
  const char   *description;
} ErrorInfo;

static const ErrorInfo error_table[] = {
  { ESPY_OTA_ERROR_WRONG_MAGIC, 0x80, "wrong-magic",
    N_("The device did not accept the data as a firmware image. Check that you picked firmware.bin or "
       "firmware.ota.bin built for this device.") },
  { ESPY_OTA_ERROR_PREPARE_FAILED, 0x81, "prepare-failed",
    N_("The device could not prepare its flash for the update; the image may be too big for it. "
       "Check the board and flash size in your configuration, then try again.") },
  { ESPY_OTA_ERROR_PASSWORD_REJECTED, 0x82, "password-rejected",
    N_("The device rejected the OTA password. The password in your configuration must match the one "
       "in the firmware the device runs now.") },
  { ESPY_OTA_ERROR_WRITE_FAILED, 0x83, "write-failed",
    N_("The device failed to write the firmware to its flash. Try again; if it keeps failing, "
       "check the image is built for this chip and the flash may be worn out.") },
  { ESPY_OTA_ERROR_END_FAILED, 0x84, "end-failed",
    N_("The device received the firmware but could not finish the update (often a damaged transfer). "
       "Try again; the device still runs its old firmware.") },
  { ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING, 0x85, "invalid-bootstrapping",
    N_("The ESP8266 refuses its first wireless update after a serial flash. Power-cycle or reset it "
       "once, then install again.") },
  { ESPY_OTA_ERROR_WRONG_CURRENT_FLASH_CONFIG, 0x86, "wrong-current-flash-config",
    N_("The firmware on the device was flashed with the wrong flash size. Flash it once over USB with "
       "the correct board setting.") },
  { ESPY_OTA_ERROR_WRONG_NEW_FLASH_CONFIG, 0x87, "wrong-new-flash-config",
    N_("The new firmware expects a flash size this device does not have. Check the board in your "
       "configuration and build again.") },
  { ESPY_OTA_ERROR_ESP8266_NOT_ENOUGH_SPACE, 0x88, "esp8266-not-enough-space",
    N_("The ESP8266 does not have enough free flash for this firmware. Remove components to make it "
       "smaller, or install a minimal firmware first and then this one.") },
  { ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE, 0x89, "esp32-not-enough-space",
    N_("The firmware is larger than the device's OTA partition. Make the firmware smaller, or flash a "
       "partition layout with bigger app partitions over USB.") },
  { ESPY_OTA_ERROR_NO_UPDATE_PARTITION, 0x8A, "no-update-partition",
    N_("The device has no partition to receive a wireless update. Flash it once over USB with a "
       "partition table that has OTA partitions.") },
  { ESPY_OTA_ERROR_MD5_MISMATCH, 0x8B, "md5-mismatch",
    N_("The firmware arrived damaged (checksum mismatch). Try again, preferably with a better Wi-Fi "
       "connection; the device still runs its old firmware.") },
  { ESPY_OTA_ERROR_RP2040_NOT_ENOUGH_SPACE, 0x8C, "rp2040-not-enough-space",
    N_("The RP2040 does not have enough free flash for this firmware. Make the firmware smaller or "
       "flash it over USB.") },
  { ESPY_OTA_ERROR_SIGNATURE_INVALID, 0x8D, "signature-invalid",
    N_("The device only accepts signed firmware and this image's signature is not valid. Build it "
       "with the signing key the device expects.") },
  { ESPY_OTA_ERROR_UNSUPPORTED_OTA_TYPE, 0x8E, "unsupported-ota-type",
    N_("The device does not support this kind of update. Update it with a regular application "
       "image.") },
  { ESPY_OTA_ERROR_PARTITION_TABLE_VERIFY, 0x8F, "partition-table-verify",
    N_("The device could not verify the new partition table. Nothing was changed; check the file "
       "and try again.") },
  { ESPY_OTA_ERROR_PARTITION_TABLE_UPDATE, 0x90, "partition-table-update",
    N_("The device failed to write the new partition table. Do not power it off; try again, or "
       "flash it over USB if it no longer boots.") },
  { ESPY_OTA_ERROR_BOOTLOADER_VERIFY, 0x91, "bootloader-verify",
    N_("The device could not verify the new bootloader. Nothing was changed; check the file and "
       "try again.") },
  { ESPY_OTA_ERROR_BOOTLOADER_UPDATE, 0x92, "bootloader-update",
    N_("The device failed to write the new bootloader. Do not power it off; try again, or flash it "
       "over USB if it no longer boots.") },
  { ESPY_OTA_ERROR_DOWNGRADE_REFUSED, 0x93, "downgrade-refused",
    N_("The device refuses firmware older than the one it runs. Build a newer version, or allow "
       "downgrades in the device's configuration.") },
  { ESPY_OTA_ERROR_ENCRYPTION_REQUIRED, 0x94, "encryption-required",
    N_("The device only accepts encrypted OTA updates, which Espy cannot send yet. Install through "
       "the web server or over USB instead.") },
  { ESPY_OTA_ERROR_DEVICE_UNKNOWN, 0xFF, "device-unknown-error",
    N_("The device reported an unknown error, often a timeout on its side. Try again; if it repeats, "
       "check the device's logs.") },
  { ESPY_OTA_ERROR_SHA256_REQUIRED, -1, "sha256-required",
    N_("The device requires SHA256 password authentication, which this client did not offer. Use an "
       "up-to-date Espy or ESPHome client.") },
  { ESPY_OTA_ERROR_RESOLVE, -1, "resolve",
    N_("The device's name could not be found on the network. Check the name, or use its IP address "
       "(mDNS does not cross VLANs or subnets).") },
  { ESPY_OTA_ERROR_CONNECTION_REFUSED, -1, "connection-refused",
    N_("The device refused the connection on the OTA port. Check that the port matches ota: port: "
       "in the configuration and that the device is running its normal firmware.") },
  { ESPY_OTA_ERROR_UNREACHABLE, -1, "unreachable",
    N_("The device could not be reached. Check that it is powered on and connected to the network, "
       "and that the address is right.") },
  { ESPY_OTA_ERROR_TIMEOUT, -1, "timeout",
    N_("The device stopped answering in time. Check its power and Wi-Fi signal, make sure no other "
       "update to it is running, then try again.") },
  { ESPY_OTA_ERROR_CLOSED, -1, "closed",
    N_("The device closed the connection without answering. Another update may be running, or the "
       "device may be restarting; wait a moment and try again.") },
  { ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, -1, "unexpected-response",
    N_("The device gave an answer the OTA protocol does not allow at this point. Check that the port "
       "belongs to the device's OTA service, then try again.") },
  { ESPY_OTA_ERROR_UNSUPPORTED_VERSION, -1, "unsupported-version",
    N_("The device speaks an OTA protocol version Espy does not know. Update Espy, or install with "
       "the ESPHome tools.") },
  { ESPY_OTA_ERROR_PASSWORD_REQUIRED, -1, "password-required",
    N_("The device needs an OTA password. Give the password from the device's configuration and try "
       "again.") },
  { ESPY_OTA_ERROR_NETWORK, -1, "network",
    N_("The network connection to the device failed during the update. Check the Wi-Fi connection "
       "and try again; the device keeps its old firmware until an update completes.") },
};

G_STATIC_ASSERT (G_N_ELEMENTS (error_table) == ESPY_OTA_ERROR_NETWORK + 1);

static const ErrorInfo *
lookup (EspyOtaError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_table))
    return NULL;
  /* The table is kept in enum order; the test suite checks it. */
  g_assert (error_table[code].code == code);
  return &error_table[code];
}

EspyOtaError
espy_ota_error_from_response (guint8 code)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    if (error_table[i].response == (int) code)
      return error_table[i].code;
  return ESPY_OTA_ERROR_UNEXPECTED_RESPONSE;
}

const char *
espy_ota_error_to_nick (EspyOtaError code)
{
  const ErrorInfo *info = lookup (code);

  return info != NULL ? info->nick : "unknown";
}

const char *
espy_ota_error_describe (EspyOtaError code)
{
  const ErrorInfo *info = lookup (code);

  if (info == NULL)
    return _("The update failed for an unknown reason. Try again.");
  return _(info->description);
}

gboolean
espy_ota_error_is_network (EspyOtaError code)
{
  return code == ESPY_OTA_ERROR_RESOLVE ||
         code == ESPY_OTA_ERROR_CONNECTION_REFUSED ||
         code == ESPY_OTA_ERROR_UNREACHABLE ||
         code == ESPY_OTA_ERROR_TIMEOUT ||
         code == ESPY_OTA_ERROR_CLOSED ||
         code == ESPY_OTA_ERROR_NETWORK;
}

gboolean
espy_ota_error_is_auth (EspyOtaError code)
{
  return code == ESPY_OTA_ERROR_PASSWORD_REJECTED ||
         code == ESPY_OTA_ERROR_PASSWORD_REQUIRED ||
         code == ESPY_OTA_ERROR_SHA256_REQUIRED;
}
