/* espy-diagnosis.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-diagnosis.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "espy-api-client.h"
#include "espy-build-runner.h"
#include "espy-firmware-image.h"
#include "espy-install-job.h"
#include "espy-ota-error.h"
#include "espy-web-ota-client.h"

G_DEFINE_BOXED_TYPE (EspyDiagnosis, espy_diagnosis, espy_diagnosis_ref, espy_diagnosis_unref)

/* --- actions ---------------------------------------------------------------- */

static const struct {
  const char *nick;
  const char *label;
} action_info[ESPY_DIAGNOSIS_N_ACTIONS] = {
  [ESPY_DIAGNOSIS_ACTION_NONE] = { NULL, NULL },
  [ESPY_DIAGNOSIS_ACTION_RETRY] = { "retry", N_("Retry") },
  [ESPY_DIAGNOSIS_ACTION_RETRY_WEB] = { "retry-web", N_("Retry Through the Web Server") },
  [ESPY_DIAGNOSIS_ACTION_CHANGE_PASSWORD] = { "change-password", N_("Change Password") },
  [ESPY_DIAGNOSIS_ACTION_SHOW_LOGS] = { "show-logs", N_("Show Logs") },
  [ESPY_DIAGNOSIS_ACTION_OPEN_YAML] = { "open-yaml", N_("Open the YAML") },
  [ESPY_DIAGNOSIS_ACTION_POWER_CYCLE] = { "power-cycle", N_("Power-Cycle") },
  [ESPY_DIAGNOSIS_ACTION_USE_ADDRESS] = { "use-address", N_("Use the Address") },
  [ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE] = { "choose-other-file", N_("Choose Another File") },
};

const char *
espy_diagnosis_action_to_nick (EspyDiagnosisAction action)
{
  g_return_val_if_fail ((guint) action < ESPY_DIAGNOSIS_N_ACTIONS, NULL);
  return action_info[action].nick;
}

const char *
espy_diagnosis_action_label (EspyDiagnosisAction action)
{
  g_return_val_if_fail ((guint) action < ESPY_DIAGNOSIS_N_ACTIONS, NULL);
  return action_info[action].label != NULL ? _(action_info[action].label) : NULL;
}

/* --- the causes ------------------------------------------------------------- */

#define MAX_STEPS 6

typedef struct {
  const char          *text;
  EspyDiagnosisAction  action;
} StepInfo;

typedef struct {
  const char *id;
  const char *title;
  const char *explanation;
  StepInfo    steps[MAX_STEPS];
} Cause;

/* Step texts used by several causes. */
#define STEP_RETRY { N_("Try the install again."), ESPY_DIAGNOSIS_ACTION_RETRY }
#define STEP_LOGS { N_("Look at the device's logs for lines from “ota” or errors at the time of the failure."), \
                    ESPY_DIAGNOSIS_ACTION_SHOW_LOGS }
#define STEP_POWER { N_("Check the device's power supply: a weak USB port or cable makes flash writes fail."), \
                     ESPY_DIAGNOSIS_ACTION_NONE }
#define STEP_USB { N_("If nothing else works, flash the device over USB with the ESPHome web tools or esphome run."), \
                   ESPY_DIAGNOSIS_ACTION_NONE }
#define STEP_YAML { N_("Open the device's YAML and check the setting named above."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML }
#define STEP_ONLINE { N_("Make sure the device is powered and connected to Wi-Fi (its status LED, or its logs over USB)."), \
                      ESPY_DIAGNOSIS_ACTION_NONE }
#define STEP_ADDRESS { N_("Connect by IP address instead of the name (set wifi: use_address: in the YAML, or add the device by address)."), \
                       ESPY_DIAGNOSIS_ACTION_USE_ADDRESS }
#define STEP_SEGMENT { N_("Check that this computer and the device are on the same network segment; mDNS does not cross VLANs or subnets without an mDNS repeater (reflector)."), \
                       ESPY_DIAGNOSIS_ACTION_NONE }
#define STEP_OTHER_FILE { N_("Pick firmware.bin or firmware.ota.bin from the device's build folder (.esphome/build/NAME/.pioenvs/NAME/), not firmware.factory.bin."), \
                          ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE }
#define STEP_WEB { N_("Install through the device's web server instead, if it has one."), ESPY_DIAGNOSIS_ACTION_RETRY_WEB }
#define STEP_SAFE_MODE_FIX { N_("Fix the configuration that made the new firmware fail, build it again and install it while the device is in safe mode: safe mode accepts OTA updates."), \
                             ESPY_DIAGNOSIS_ACTION_OPEN_YAML }

static const Cause causes[] = {
  /* Nothing to explain. */
  { "succeeded", N_("The last install worked"),
    N_("The device accepted the firmware and came back with it."), { { NULL, 0 } } },
  { "cancelled", N_("The install was cancelled"),
    N_("The install was stopped before it finished. The device keeps running the firmware it had, unless "
       "the whole image had already been sent."), { STEP_RETRY } },
  { "healthy", N_("The device answers on every port"),
    N_("Every check passed: the device is reachable and its OTA server answers. If an install failed "
       "before, the cause was temporary or is shown in the device's logs."),
    { STEP_RETRY, STEP_LOGS } },
  { "no-data", N_("Nothing to go on yet"),
    N_("There is no failed install for this device and no check has run."), { { NULL, 0 } } },

  /* Network */
  { "name-not-found", N_("The device's name could not be found"),
    N_("Neither mDNS nor DNS knew the device's name. ESPHome devices announce NAME.local with mDNS, which only "
       "works on the same network segment: across VLANs or subnets it needs an mDNS repeater. Some ESP32s also "
       "answer mDNS only briefly after booting."),
    { STEP_ONLINE, STEP_ADDRESS, STEP_SEGMENT, STEP_RETRY } },
  { "connection-refused", N_("The device refused the connection"),
    N_("The address answered, but nothing listens on the OTA port. Either the device is still booting, the "
       "YAML sets another OTA port (ota: port:), the firmware has no “ota: - platform: esphome” entry, or "
       "the address now belongs to another machine."),
    { { N_("Wait a few seconds for the device to finish booting, then try again."), ESPY_DIAGNOSIS_ACTION_RETRY },
      { N_("Check the OTA port and the ota: platforms in the device's YAML."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      STEP_WEB, STEP_ADDRESS } },
  { "unreachable", N_("The device cannot be reached"),
    N_("No route to the device: it is offline, on a network this computer cannot reach, or its address "
       "changed (DHCP)."),
    { STEP_ONLINE, STEP_SEGMENT, STEP_ADDRESS, STEP_RETRY } },
  { "timeout", N_("The device did not answer in time"),
    N_("The connection timed out. Either the device is offline or on another network segment (mDNS does "
       "not cross VLANs without a repeater), or it accepted the connection and then stayed silent: that is "
       "what an ESPHome device does while another upload is in progress (from the dashboard, another Espy, or "
       "Home Assistant)."),
    { STEP_ONLINE, STEP_SEGMENT, STEP_ADDRESS,
      { N_("Make sure no other upload to this device is running, wait for it to finish, then retry."),
        ESPY_DIAGNOSIS_ACTION_RETRY },
      STEP_LOGS } },
  { "busy", N_("Another upload may be in progress"),
    N_("The device accepted the connection but said nothing. An ESPHome device serves one OTA client at a "
       "time; a second one hears only silence until the first session ends. Another upload (the ESPHome "
       "dashboard, Home Assistant, another computer) may be running, or a previous session is still hanging."),
    { { N_("Wait for the other upload to finish (up to a minute for a hung session), then retry."),
        ESPY_DIAGNOSIS_ACTION_RETRY },
      { N_("The device's logs mention OTA when an upload starts: look there for another client."),
        ESPY_DIAGNOSIS_ACTION_SHOW_LOGS },
      { N_("If it stays silent, power-cycle the device."), ESPY_DIAGNOSIS_ACTION_POWER_CYCLE } } },
  { "closed", N_("The device closed the connection without answering"),
    N_("The device hung up during the handshake. Newer firmware does so when a step takes longer than 20 "
       "seconds; it also happens when the device is short of memory or restarting."),
    { STEP_RETRY, STEP_LOGS, STEP_ONLINE } },
  { "connection-lost", N_("The connection broke during the update"),
    N_("The transfer stopped halfway: weak Wi-Fi, the device restarted (power, watchdog), or its memory ran "
       "out. The device keeps running its old firmware."),
    { { N_("Move the device closer to the access point or check its Wi-Fi signal in the logs, then retry."),
        ESPY_DIAGNOSIS_ACTION_RETRY },
      STEP_POWER, STEP_LOGS } },
  { "upload-stalled", N_("The upload stalled"),
    N_("The device stopped acknowledging data for too long. Usually the Wi-Fi link is too weak or the "
       "device is busy (a heavy component, a crash). The device keeps running its old firmware."),
    { STEP_RETRY, STEP_LOGS, STEP_POWER } },
  { "out-of-memory", N_("The ESP8266 ran out of memory"),
    N_("An ESP8266 has very little memory; every open connection (log viewers, Home Assistant's API "
       "connection, the web server's event stream) takes some of it, and an OTA update needs a lot. Espy already "
       "closed its own connections to the device."),
    { { N_("Close other connections to the device: log viewers, the ESPHome dashboard, web browsers on its page."),
        ESPY_DIAGNOSIS_ACTION_NONE },
      STEP_RETRY,
      { N_("If it keeps failing, remove heavy components (web_server, many sensors) from the YAML, or install a "
           "minimal firmware first and then the full one."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "not-esphome-ota", N_("Something else answers on the OTA port"),
    N_("The program on that port does not speak ESPHome's OTA protocol (wrong magic bytes, an unknown "
       "protocol version or an answer the protocol does not allow). The port may be wrong, or the address "
       "belongs to another device."),
    { { N_("Check the OTA port in the device's YAML (ota: port:)."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      STEP_ADDRESS, STEP_RETRY } },

  /* Authentication */
  { "password-required", N_("The device needs an OTA password"),
    N_("The firmware on the device was built with an OTA password, and none was given. The password is the "
       "one in the YAML the running firmware was built from (ota: password:, often a !secret)."),
    { { N_("Set the OTA password for this device, then retry."), ESPY_DIAGNOSIS_ACTION_CHANGE_PASSWORD },
      STEP_YAML } },
  { "password-rejected", N_("The device rejected the password"),
    N_("The device still expects the password of the firmware it runs now. The password in the YAML must "
       "match that one; if you changed the YAML, the device still expects the old password until a firmware "
       "with the new one is installed."),
    { { N_("Use the password wizard: it installs with the old password and switches to the new one."),
        ESPY_DIAGNOSIS_ACTION_CHANGE_PASSWORD },
      { N_("Check ota: password: in the YAML and the !secret it names in secrets.yaml."),
        ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      STEP_RETRY } },
  { "sha256-required", N_("The device requires SHA256 authentication"),
    N_("Devices with ESPHome 2026.1 or later accept only SHA256 password authentication. An older client (or "
       "an old esphome command) that offers only MD5 is refused before the password is checked."),
    { { N_("Retry with Espy, which offers SHA256."), ESPY_DIAGNOSIS_ACTION_RETRY },
      { N_("Update the ESPHome command you upload with to 2025.10 or later."), ESPY_DIAGNOSIS_ACTION_NONE } } },
  { "encryption-required", N_("The device requires encrypted OTA"),
    N_("The device is set up with “ota: encryption:” and refuses plaintext OTA; Espy cannot speak the "
       "encrypted OTA protocol yet."),
    { STEP_WEB,
      { N_("Or remove encryption: from the ota: entry, install once with the ESPHome command, then use Espy."),
        ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },

  /* Device answers */
  { "wrong-image", N_("The device did not accept the file as firmware"),
    N_("The device checks the first bytes of the image and found no ESP application image there. The file "
       "is not a firmware image for this device (a factory image, a file for another chip, or not an image)."),
    { STEP_OTHER_FILE, { N_("Build the firmware for this device's board, then install again."),
                         ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "wrong-chip", N_("The firmware is for another chip"),
    N_("The device received the image but its validation failed: the image was built for another chip "
       "(for example ESP32-S3 firmware on an ESP32, or ESP8266 firmware on an ESP32)."),
    { { N_("Check the platform and board in the YAML: they must match the device's chip."),
        ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      STEP_OTHER_FILE } },
  { "not-enough-space", N_("The firmware does not fit"),
    N_("The image is bigger than the device's OTA partition: the device keeps the running firmware while it "
       "receives the new one, so only about half of the flash is available."),
    { { N_("Make the firmware smaller: remove components you do not need (web_server, captive_portal, debug, "
           "logger level)."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      { N_("Check the board and flash size in the YAML."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      STEP_USB } },
  { "no-ota-partition", N_("The device has no OTA partition"),
    N_("The partition table on the device has no second app partition to receive a wireless update."),
    { { N_("Flash the device once over USB with a partition table that has OTA partitions."),
        ESPY_DIAGNOSIS_ACTION_NONE } } },
  { "flash-write-failed", N_("Writing the firmware to flash failed"),
    N_("The device could not write or finish the update, or the received image did not match its checksum. "
       "The transfer may have been damaged, the power supply may sag during flash writes, or the flash may be "
       "worn. The device keeps running its old firmware."),
    { STEP_RETRY, STEP_POWER,
      { N_("If it fails at the same point every time, the flash may be failing: flash over USB to test it."),
        ESPY_DIAGNOSIS_ACTION_NONE },
      STEP_LOGS } },
  { "invalid-bootstrapping", N_("The ESP8266 needs a power cycle"),
    N_("After a serial flash, an ESP8266 refuses its first wireless update until it has been reset once "
       "(“invalid bootstrapping”)."),
    { { N_("Unplug the device's power (or press its reset button) once, wait for it to come back."),
        ESPY_DIAGNOSIS_ACTION_POWER_CYCLE },
      STEP_RETRY } },
  { "flash-config", N_("The flash size setting is wrong"),
    N_("The flash size the firmware was built for does not match the chip: either the running firmware was "
       "flashed with the wrong size, or the new one expects flash the device does not have."),
    { { N_("Check the board (and board_flash_mode / flash_size) in the YAML for this device."),
        ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      { N_("Flash the device once over USB with the right board setting."), ESPY_DIAGNOSIS_ACTION_NONE } } },
  { "signature-invalid", N_("The firmware signature was refused"),
    N_("The device only accepts signed firmware and the signature of this image is not valid for it."),
    { { N_("Build the firmware with the signing key the device expects."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "partition-update-failed", N_("The device refused this kind of update"),
    N_("The device could not apply a partition table or bootloader update, or does not support this update "
       "type over the air."),
    { { N_("Install a normal application image, or flash over USB."), ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE },
      STEP_USB } },
  { "downgrade-refused", N_("The device refuses older firmware"),
    N_("The device is set to refuse firmware older than the one it runs."),
    { { N_("Build a newer firmware version, or change the downgrade protection in the YAML."),
        ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "device-error", N_("The device reported an error"),
    N_("The device answered with an unspecified error. Older firmware (2024.x) also answers so when a step "
       "of the handshake takes longer than one second, for example on a slow Wi-Fi link."),
    { STEP_RETRY, STEP_LOGS, STEP_POWER } },

  /* After the upload */
  { "old-firmware", N_("The device still runs the old firmware"),
    N_("The upload succeeded, but the device came back with its old build: it did not reboot into the new "
       "one, or it rolled back because the new one failed to start."),
    { { N_("Look in the logs for “OTA rollback detected” or “SAFE MODE IS ACTIVE”."), ESPY_DIAGNOSIS_ACTION_SHOW_LOGS },
      STEP_RETRY, STEP_POWER } },
  { "rollback", N_("The device rolled back to the old firmware"),
    N_("The device's log says “OTA rollback detected”: the new firmware did not start properly, so the "
       "bootloader went back to the old one."),
    { STEP_SAFE_MODE_FIX, STEP_LOGS } },
  { "safe-mode", N_("The device is in safe mode"),
    N_("The device's log says “SAFE MODE IS ACTIVE”: the firmware failed to boot several times in a row, so it "
       "started only Wi-Fi and OTA. Safe mode accepts OTA updates."),
    { STEP_SAFE_MODE_FIX, STEP_LOGS,
      { N_("If the device is unreachable even in safe mode, USB is the only way to recover it."),
        ESPY_DIAGNOSIS_ACTION_NONE } } },
  { "not-back", N_("The device did not come back after the update"),
    N_("The device did not answer after restarting with the new firmware. It may crash while booting: after a "
       "few failed boots ESPHome starts safe mode (Wi-Fi and OTA only). The new firmware may also use other "
       "Wi-Fi settings or a new address."),
    { { N_("Wait a minute and look at the device's logs: safe mode announces itself with “SAFE MODE IS ACTIVE”."),
        ESPY_DIAGNOSIS_ACTION_SHOW_LOGS },
      STEP_SAFE_MODE_FIX,
      { N_("Check the Wi-Fi settings and use_address in the new YAML."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      { N_("If safe mode is unreachable too, USB is the only way to recover the device."), ESPY_DIAGNOSIS_ACTION_NONE } } },

  /* The image */
  { "factory-image", N_("That is a factory image"),
    N_("firmware.factory.bin contains the bootloader and the partition table and is only for flashing over "
       "USB. Wireless updates need the application image."),
    { STEP_OTHER_FILE } },
  { "not-an-image", N_("The file is not ESP firmware"),
    N_("The file does not start like an ESP application image, a gzip-compressed image or a UF2 file, so "
       "it was not sent."),
    { STEP_OTHER_FILE } },
  { "image-too-large", N_("The file is too large to be firmware"),
    N_("The file is larger than any device's flash, so it cannot be a firmware image for it."),
    { STEP_OTHER_FILE } },
  { "image-empty", N_("The firmware file is empty"),
    N_("The file has no content: the build may have been interrupted."),
    { { N_("Build the firmware again."), ESPY_DIAGNOSIS_ACTION_RETRY }, STEP_OTHER_FILE } },
  { "image-unreadable", N_("The firmware file could not be read"),
    N_("The file is missing or not readable (moved, deleted, or no permission)."),
    { STEP_OTHER_FILE, { N_("Build the firmware again."), ESPY_DIAGNOSIS_ACTION_RETRY } } },
  { "compress-failed", N_("The firmware could not be compressed"),
    N_("Compressing the image for the ESP8266 failed on this computer (out of memory?)."),
    { STEP_RETRY } },
  { "no-image", N_("There was nothing to install"),
    N_("The install had no firmware image: no build was found for this device."),
    { { N_("Build the device's firmware, or choose a firmware file."), ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE } } },

  /* The job */
  { "install-busy", N_("Another install is running for this device"),
    N_("Espy installs one firmware at a time per device; another install for it was still running."),
    { { N_("Wait for the other install to finish, then retry."), ESPY_DIAGNOSIS_ACTION_RETRY } } },
  { "web-unavailable", N_("The web server transport is not available"),
    N_("This build of Espy cannot install through the web server yet."),
    { { N_("Install with ESPHome's native OTA instead."), ESPY_DIAGNOSIS_ACTION_RETRY } } },

  /* Web server OTA */
  { "web-unreachable", N_("The device's web server did not answer"),
    N_("No connection to the device's web server: the device is offline, the web port is wrong, or the "
       "firmware has no web_server: component."),
    { STEP_ONLINE, { N_("Check web_server: port: in the YAML."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      { N_("Install with ESPHome's native OTA instead."), ESPY_DIAGNOSIS_ACTION_RETRY } } },
  { "web-timeout", N_("The web server stopped answering"),
    N_("The device's web server did not answer in time; the device may be busy writing flash, another upload "
       "may be in progress, or the Wi-Fi link is weak."),
    { STEP_RETRY, STEP_LOGS } },
  { "web-auth", N_("The web server needs other credentials"),
    N_("The device's web server is protected (web_server: auth:) and refused the user name and password, or "
       "none were given."),
    { { N_("Check web_server: auth: username and password in the YAML."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      { N_("Retry through the web server with the right credentials."), ESPY_DIAGNOSIS_ACTION_RETRY_WEB } } },
  { "no-web-ota", N_("The web server has no update page"),
    N_("The device's web server has no /update endpoint: the firmware needs “ota: - platform: web_server” "
       "(2025.7 and later) or “web_server: ota: true” (older)."),
    { { N_("Install with ESPHome's native OTA instead."), ESPY_DIAGNOSIS_ACTION_RETRY },
      { N_("Add the web_server OTA platform to the YAML for next time."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "web-update-failed", N_("The device refused the update"),
    N_("The device's web server answered “Update Failed”. The image may be wrong for this device, too big, "
       "or the transfer was damaged."),
    { STEP_RETRY, STEP_OTHER_FILE, STEP_LOGS } },
  { "web-unexpected", N_("The web server gave an unexpected answer"),
    N_("Something answered on the web port, but not like an ESPHome web server's /update. Another program may "
       "use that port."),
    { { N_("Check web_server: port: in the YAML."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      { N_("Install with ESPHome's native OTA instead."), ESPY_DIAGNOSIS_ACTION_RETRY } } },
  { "web-closed", N_("The web server dropped the connection"),
    N_("The connection to the device's web server ended before it answered: weak Wi-Fi, a restart, or low "
       "memory on the device."),
    { STEP_RETRY, STEP_LOGS } },

  /* Build */
  { "esphome-missing", N_("ESPHome is not installed"),
    N_("Building firmware needs the esphome command, which was not found."),
    { { N_("Install ESPHome (pip install esphome) or set its path in the preferences."), ESPY_DIAGNOSIS_ACTION_NONE },
      { N_("Or install a firmware file you built elsewhere."), ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE } } },
  { "esphome-failed-to-start", N_("ESPHome could not be started"),
    N_("The esphome command was found but could not be run (permissions, a broken Python environment)."),
    { { N_("Run the esphome command in a terminal to see why it fails."), ESPY_DIAGNOSIS_ACTION_NONE } } },
  { "config-invalid", N_("The YAML has an error"),
    N_("ESPHome refused the configuration; the build output names the line."),
    { { N_("Open the YAML and fix the error shown in the build output."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      STEP_RETRY } },
  { "compile-failed", N_("Compiling the firmware failed"),
    N_("The compiler stopped with an error; the build output shows it."),
    { { N_("Open the YAML and check the components named in the error."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML },
      STEP_RETRY } },
  { "no-firmware", N_("The build produced no firmware"),
    N_("The build finished but no firmware.bin was found where ESPHome writes it."),
    { STEP_RETRY, STEP_OTHER_FILE } },

  /* Native API (the post-reboot check and the DeviceInfo check) */
  { "api-key", N_("The API encryption key does not match"),
    N_("The device's native API uses encryption and the key Espy has does not match the device's (api: "
       "encryption: key:), is missing, or is not a valid key."),
    { { N_("Copy the key from the device's YAML into Espy."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "api-not-encrypted", N_("The device's API is not encrypted"),
    N_("A key was given, but the device's native API does not use encryption."),
    { { N_("Remove the key from Espy, or add api: encryption: key: to the YAML and install."),
        ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "api-password", N_("The API password is wrong"),
    N_("The device refused the API password (api: password:, firmware up to 2025.x)."),
    { { N_("Check api: password: in the YAML."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML } } },
  { "api-unreachable", N_("The device's API did not answer"),
    N_("The native API connection failed or timed out: the device is offline, busy with an upload, or has no "
       "api: component."),
    { STEP_ONLINE, STEP_SEGMENT, STEP_RETRY } },
  { "api-protocol", N_("The device's API spoke unexpectedly"),
    N_("The API connection broke off with data the protocol does not allow, or a handshake the device "
       "rejected."),
    { STEP_RETRY, STEP_LOGS } },

  /* Last resort */
  { "unknown", N_("The install failed"),
    N_("Espy has no specific explanation for this failure. The error message and the device's logs say more."),
    { STEP_LOGS, STEP_RETRY } },
};

static const Cause *
find_cause (const char *id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (causes); i++)
    if (g_str_equal (causes[i].id, id))
      return &causes[i];
  g_return_val_if_reached (&causes[G_N_ELEMENTS (causes) - 1]);
}

/* --- helpers ---------------------------------------------------------------- */

static gboolean
logs_contain (const char * const *lines,
              const char         *needle)
{
  for (gsize i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      g_autofree char *lower = g_ascii_strdown (lines[i], -1);
      g_autofree char *n = g_ascii_strdown (needle, -1);

      if (strstr (lower, n) != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
text_contains (const char *text,
               const char *needle)
{
  g_autofree char *lower = NULL;
  g_autofree char *n = NULL;

  if (text == NULL)
    return FALSE;
  lower = g_ascii_strdown (text, -1);
  n = g_ascii_strdown (needle, -1);
  return strstr (lower, n) != NULL;
}

static gboolean
is (const char *a,
    const char *b)
{
  return a != NULL && b != NULL && g_str_equal (a, b);
}

static gboolean
check_failed (GPtrArray   *checks,
              EspyCheckId  id)
{
  const EspyCheckResult *r = espy_check_results_find (checks, id);

  return r != NULL && r->status == ESPY_CHECK_STATUS_FAIL;
}

static gboolean
check_passed (GPtrArray   *checks,
              EspyCheckId  id)
{
  const EspyCheckResult *r = espy_check_results_find (checks, id);

  return r != NULL && r->status == ESPY_CHECK_STATUS_PASS;
}

static gboolean
check_code (GPtrArray   *checks,
            EspyCheckId  id,
            const char  *code)
{
  const EspyCheckResult *r = espy_check_results_find (checks, id);

  return r != NULL && r->status == ESPY_CHECK_STATUS_FAIL && is (r->error_code, code);
}

static gboolean
is_esp8266 (const EspyDiagnosisInput *input)
{
  return input->platform != NULL && g_ascii_strcasecmp (input->platform, "ESP8266") == 0;
}

/* Log lines that say the device ran out of memory. */
static gboolean
logs_out_of_memory (const char * const *lines)
{
  return logs_contain (lines, "out of memory") || logs_contain (lines, "not enough memory") ||
         logs_contain (lines, "malloc failed") || logs_contain (lines, "alloc failed") ||
         logs_contain (lines, "OOM");
}

/* Log lines of an image the chip refused after receiving it. */
static gboolean
logs_wrong_chip (const char * const *lines)
{
  return logs_contain (lines, "VALIDATE_FAILED") || logs_contain (lines, "chip id") ||
         logs_contain (lines, "wrong chip") || logs_contain (lines, "image for chip");
}

/* A network failure of the native OTA: which kind, and how far it got. */
static const char *
network_cause (const EspyDiagnosisInput *input,
               const char               *code,
               const char               *failed_state)
{
  GPtrArray *checks = input->checks;
  gboolean uploading = is (failed_state, "uploading");

  /* Silence after connect, with the port open: the one-client-at-a-time rule. */
  if (check_code (checks, ESPY_CHECK_OTA_HANDSHAKE, "timeout") && check_passed (checks, ESPY_CHECK_OTA_PORT))
    return "busy";
  if (logs_out_of_memory (input->log_lines))
    return "out-of-memory";

  if (is (code, "resolve"))
    return "name-not-found";
  if (is (code, "connection-refused"))
    return "connection-refused";
  if (is (code, "unreachable"))
    return "unreachable";
  if (is (code, "timeout"))
    {
      if (uploading)
        return "upload-stalled";
      /* A timeout past the TCP connect is silence from a device that is up. */
      if (check_passed (checks, ESPY_CHECK_OTA_PORT))
        return "busy";
      return "timeout";
    }
  if (is (code, "closed") && !uploading)
    return "closed";
  /* closed or network error mid-transfer */
  if (uploading && is_esp8266 (input))
    return "out-of-memory";
  return "connection-lost";
}

static const char *
ota_cause (const EspyDiagnosisInput *input,
           const char               *code,
           const char               *failed_state)
{
  const char * const *logs = input->log_lines;
  int device_code = input->attempt != NULL ? input->attempt->device_code : -1;

  if (is (code, "resolve") || is (code, "connection-refused") || is (code, "unreachable") ||
      is (code, "timeout") || is (code, "closed") || is (code, "network"))
    return network_cause (input, code, failed_state);

  if (is (code, "password-required"))
    return "password-required";
  if (is (code, "password-rejected"))
    return "password-rejected";
  if (is (code, "sha256-required"))
    return "sha256-required";
  if (is (code, "encryption-required"))
    return "encryption-required";
  if (is (code, "unexpected-response") || is (code, "unsupported-version"))
    return "not-esphome-ota";
  if (is (code, "wrong-magic"))
    /* 0x80 to our magic bytes: not an OTA server; to the image: a wrong file. */
    return is (failed_state, "connecting") ? "not-esphome-ota" : "wrong-image";
  if (is (code, "prepare-failed"))
    return logs_out_of_memory (logs) ? "out-of-memory" : "not-enough-space";
  if (is (code, "esp8266-not-enough-space") || is (code, "esp32-not-enough-space") ||
      is (code, "rp2040-not-enough-space"))
    return "not-enough-space";
  if (is (code, "no-update-partition"))
    return "no-ota-partition";
  if (is (code, "write-failed") || is (code, "end-failed") || is (code, "md5-mismatch"))
    {
      if (logs_wrong_chip (logs))
        return "wrong-chip";
      if (logs_out_of_memory (logs))
        return "out-of-memory";
      return "flash-write-failed";
    }
  if (is (code, "invalid-bootstrapping"))
    return "invalid-bootstrapping";
  if (is (code, "wrong-current-flash-config") || is (code, "wrong-new-flash-config"))
    return "flash-config";
  if (is (code, "signature-invalid"))
    return "signature-invalid";
  if (is (code, "unsupported-ota-type") || is (code, "partition-table-verify") ||
      is (code, "partition-table-update") || is (code, "bootloader-verify") ||
      is (code, "bootloader-update") || g_str_has_prefix (code != NULL ? code : "", "partition") ||
      g_str_has_prefix (code != NULL ? code : "", "bootloader"))
    return "partition-update-failed";
  if (is (code, "downgrade-refused"))
    return "downgrade-refused";
  if (is (code, "device-unknown-error"))
    return logs_out_of_memory (logs) ? "out-of-memory" : "device-error";

  /* An unknown nick (a newer Espy wrote the history): go by the device's byte. */
  switch (device_code)
    {
    case 0x80: return "wrong-image";
    case 0x81: case 0x88: case 0x89: case 0x8C: return "not-enough-space";
    case 0x82: return "password-rejected";
    case 0x83: case 0x84: case 0x8B: return "flash-write-failed";
    case 0x85: return "invalid-bootstrapping";
    case 0x86: case 0x87: return "flash-config";
    case 0x8A: return "no-ota-partition";
    case 0x94: return "encryption-required";
    default: return NULL;
    }
}

static const char *
web_cause (const EspyDiagnosisInput *input,
           const char               *code)
{
  const char *message = input->attempt != NULL ? input->attempt->error_message : NULL;

  if (is (code, "connect"))
    return "web-unreachable";
  if (is (code, "timeout"))
    return check_code (input->checks, ESPY_CHECK_OTA_HANDSHAKE, "timeout") ? "busy" : "web-timeout";
  if (is (code, "auth-required") || is (code, "wrong-credentials"))
    return "web-auth";
  if (is (code, "no-web-ota"))
    return "no-web-ota";
  if (is (code, "update-failed"))
    {
      /* Older Arduino firmware says why: "Wrong Magic Byte", "Magic byte is wrong". */
      if (text_contains (message, "magic"))
        return "wrong-image";
      if (text_contains (message, "space") || text_contains (message, "too big") ||
          text_contains (message, "size"))
        return "not-enough-space";
      if (logs_wrong_chip (input->log_lines))
        return "wrong-chip";
      if (logs_out_of_memory (input->log_lines))
        return "out-of-memory";
      return "web-update-failed";
    }
  if (is (code, "unexpected-response"))
    return "web-unexpected";
  if (is (code, "closed"))
    return is_esp8266 (input) && logs_out_of_memory (input->log_lines) ? "out-of-memory" : "web-closed";
  return NULL;
}

static const char *
install_cause (const EspyDiagnosisInput *input,
               const char               *code)
{
  const char * const *logs = input->log_lines;

  if (is (code, "old-firmware") || is (code, "not-back"))
    {
      if (logs_contain (logs, "SAFE MODE IS ACTIVE"))
        return "safe-mode";
      if (logs_contain (logs, "OTA rollback detected"))
        return "rollback";
      return is (code, "old-firmware") ? "old-firmware" : "not-back";
    }
  if (is (code, "busy"))
    return "install-busy";
  if (is (code, "password-required"))
    return "password-required";
  if (is (code, "no-image"))
    return "no-image";
  if (is (code, "web-unavailable"))
    return "web-unavailable";
  return NULL;
}

static const char *
firmware_cause (const char *code)
{
  /* The CLI's codes carry a "firmware-" prefix; accept both spellings. */
  if (code != NULL && g_str_has_prefix (code, "firmware-"))
    code += strlen ("firmware-");

  if (is (code, "factory-image"))
    return "factory-image";
  if (is (code, "not-firmware"))
    return "not-an-image";
  if (is (code, "too-large"))
    return "image-too-large";
  if (is (code, "empty"))
    return "image-empty";
  if (is (code, "read"))
    return "image-unreadable";
  if (is (code, "compress"))
    return "compress-failed";
  return NULL;
}

static const char *
build_cause (const char *code)
{
  if (is (code, "esphome-missing"))
    return "esphome-missing";
  if (is (code, "esphome-spawn-failed") || is (code, "spawn-failed"))
    return "esphome-failed-to-start";
  if (is (code, "config-invalid"))
    return "config-invalid";
  if (is (code, "compile-failed"))
    return "compile-failed";
  if (is (code, "no-firmware"))
    return "no-firmware";
  return NULL;
}

static const char *
api_cause (const char *code)
{
  if (is (code, "wrong-key") || is (code, "key-required") || is (code, "invalid-key"))
    return "api-key";
  if (is (code, "device-not-encrypted"))
    return "api-not-encrypted";
  if (is (code, "wrong-password"))
    return "api-password";
  if (is (code, "closed") || is (code, "timeout") || is (code, "connect-failed") || is (code, "not-connected"))
    return "api-unreachable";
  if (is (code, "handshake-rejected") || is (code, "frame-too-large") || is (code, "protocol"))
    return "api-protocol";
  return NULL;
}

static const char *
io_cause (const EspyDiagnosisInput *input,
          const char               *code,
          const char               *failed_state)
{
  if (is (code, "cancelled"))
    return "cancelled";
  if (is (code, "timed-out"))
    return network_cause (input, "timeout", failed_state);
  if (is (code, "connection-refused"))
    return "connection-refused";
  if (is (code, "unreachable"))
    return "unreachable";
  if (is (code, "not-found"))
    return "name-not-found";
  if (is (code, "closed"))
    return network_cause (input, "closed", failed_state);
  return NULL;
}

/* With no attempt (espy-cli doctor on a device never installed): what do the
 * checks alone say? */
static const char *
checks_cause (const EspyDiagnosisInput *input)
{
  GPtrArray *checks = input->checks;
  const EspyCheckResult *handshake;

  if (checks == NULL || checks->len == 0)
    return "no-data";

  handshake = espy_check_results_find (checks, ESPY_CHECK_OTA_HANDSHAKE);
  if (handshake != NULL && handshake->status == ESPY_CHECK_STATUS_FAIL && handshake->error_code != NULL)
    {
      const char *cause;

      if (is (handshake->error_code, "timeout") && check_passed (checks, ESPY_CHECK_OTA_PORT))
        return "busy";
      cause = ota_cause (input, handshake->error_code, "connecting");
      if (cause != NULL)
        return cause;
    }
  if (check_failed (checks, ESPY_CHECK_MDNS) && check_failed (checks, ESPY_CHECK_DNS))
    return "name-not-found";
  if (check_code (checks, ESPY_CHECK_OTA_PORT, "connection-refused"))
    return "connection-refused";
  if (check_failed (checks, ESPY_CHECK_OTA_PORT))
    return check_code (checks, ESPY_CHECK_OTA_PORT, "timeout") ? "timeout" : "unreachable";
  if (check_failed (checks, ESPY_CHECK_API_INFO))
    {
      const EspyCheckResult *r = espy_check_results_find (checks, ESPY_CHECK_API_INFO);
      const char *cause = api_cause (r->error_code);

      if (cause != NULL)
        return cause;
    }
  return "healthy";
}

static const char *
pick_cause (const EspyDiagnosisInput *input)
{
  const EspyInstallAttempt *a = input->attempt;
  const char *domain, *code, *cause = NULL;

  if (a == NULL)
    return checks_cause (input);
  if (is (a->result, "succeeded"))
    return "succeeded";
  if (is (a->result, "cancelled"))
    return "cancelled";

  domain = a->error_domain;
  code = a->error_code;
  if (is (domain, "ota"))
    cause = ota_cause (input, code, a->failed_state);
  else if (is (domain, "web-ota"))
    cause = web_cause (input, code);
  else if (is (domain, "install"))
    cause = install_cause (input, code);
  else if (is (domain, "firmware"))
    cause = firmware_cause (code);
  else if (is (domain, "build"))
    cause = build_cause (code);
  else if (is (domain, "api"))
    cause = api_cause (code);
  else if (is (domain, "io"))
    cause = io_cause (input, code, a->failed_state);

  /* A record with only the verification result (an older writer). */
  if (cause == NULL && is (a->verify, "not-back"))
    cause = install_cause (input, "not-back");
  if (cause == NULL && is (a->verify, "old-build"))
    cause = install_cause (input, "old-firmware");
  if (cause == NULL && a->device_code >= 0)
    cause = ota_cause (input, NULL, a->failed_state);
  return cause != NULL ? cause : "unknown";
}

/* --- building the answer ---------------------------------------------------- */

static void
step_free (gpointer data)
{
  EspyDiagnosisStep *step = data;

  g_free (step->text);
  g_free (step);
}

static void
add_step (EspyDiagnosis       *d,
          const char          *text,
          EspyDiagnosisAction  action)
{
  EspyDiagnosisStep *step;

  /* The same advice twice (a cause's own step and a check's) reads badly. */
  for (guint i = 0; i < d->steps->len; i++)
    if (g_str_equal (((EspyDiagnosisStep *) g_ptr_array_index (d->steps, i))->text, text))
      return;
  step = g_new0 (EspyDiagnosisStep, 1);
  step->text = g_strdup (text);
  step->action = action;
  g_ptr_array_add (d->steps, step);
}

static void
insert_step (EspyDiagnosis       *d,
             guint                index,
             const char          *text,
             EspyDiagnosisAction  action)
{
  add_step (d, text, action);
  if (d->steps->len > 0 && index < d->steps->len - 1)
    {
      gpointer last = g_ptr_array_steal_index (d->steps, d->steps->len - 1);
      g_ptr_array_insert (d->steps, (int) index, last);
    }
}

static gboolean
is_network_cause (const char *cause)
{
  static const char * const network[] = {
    "name-not-found", "connection-refused", "unreachable", "timeout", "busy", "closed",
    "connection-lost", "upload-stalled", "web-unreachable", "web-timeout", "api-unreachable", "healthy",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (network); i++)
    if (g_str_equal (cause, network[i]))
      return TRUE;
  return FALSE;
}

/* What the checks and logs add: findings, and steps they make relevant. */
static void
add_context (EspyDiagnosis            *d,
             const EspyDiagnosisInput *input)
{
  GPtrArray *checks = input->checks;

  for (guint i = 0; checks != NULL && i < checks->len; i++)
    {
      const EspyCheckResult *r = g_ptr_array_index (checks, i);

      if (r->status == ESPY_CHECK_STATUS_FAIL && r->summary != NULL)
        g_ptr_array_add (d->findings, g_strdup_printf ("%s: %s", espy_check_id_describe (r->id), r->summary));
    }

  if (is_network_cause (d->cause))
    {
      if (check_failed (checks, ESPY_CHECK_SUBNET))
        insert_step (d, 0, _("The device's address is not on any of this computer's networks: check that "
                             "routing between the two subnets (VLANs) allows it, and use the address, since "
                             "mDNS does not cross subnets without a repeater."),
                     ESPY_DIAGNOSIS_ACTION_USE_ADDRESS);
      if (check_failed (checks, ESPY_CHECK_MDNS) && check_passed (checks, ESPY_CHECK_DNS))
        insert_step (d, 0, _("mDNS did not find the device, but its address works: use the address."),
                     ESPY_DIAGNOSIS_ACTION_USE_ADDRESS);
      if (check_passed (checks, ESPY_CHECK_OTA_HANDSHAKE) && !g_str_equal (d->cause, "healthy"))
        insert_step (d, 0, _("The device answers its OTA port now: the problem was temporary, retry."),
                     ESPY_DIAGNOSIS_ACTION_RETRY);
      if (check_failed (checks, ESPY_CHECK_OTA_PORT) && check_passed (checks, ESPY_CHECK_API_PORT))
        add_step (d, _("The API port answers but the OTA port does not: check ota: port: and that the YAML has "
                       "“ota: - platform: esphome”."), ESPY_DIAGNOSIS_ACTION_OPEN_YAML);
      if (check_passed (checks, ESPY_CHECK_WEB_PORT) && !g_str_has_prefix (d->cause, "web-"))
        add_step (d, _("The device's web server answers: installing through it is another way in."),
                  ESPY_DIAGNOSIS_ACTION_RETRY_WEB);
    }

  if (g_str_equal (d->cause, "not-enough-space"))
    {
      const EspyInstallAttempt *a = input->attempt;

      if (is_esp8266 (input) || (a != NULL && (a->device_code == 0x88 || is (a->error_code, "esp8266-not-enough-space"))))
        insert_step (d, 0, _("On an ESP8266, install a minimal intermediate firmware first (only wifi:, ota: "
                             "and logger:), then the full firmware: the small one leaves room for the big one."),
                     ESPY_DIAGNOSIS_ACTION_OPEN_YAML);
    }

  if (is_esp8266 (input) && (g_str_equal (d->cause, "connection-lost") || g_str_equal (d->cause, "closed")))
    add_step (d, _("On an ESP8266 this is often memory: close other connections to the device (log viewers, "
                   "the dashboard) and retry."), ESPY_DIAGNOSIS_ACTION_RETRY);

  if (logs_contain (input->log_lines, "SAFE MODE IS ACTIVE"))
    g_ptr_array_add (d->findings, g_strdup (_("The device's log says “SAFE MODE IS ACTIVE”.")));
  if (logs_contain (input->log_lines, "OTA rollback detected"))
    g_ptr_array_add (d->findings, g_strdup (_("The device's log says “OTA rollback detected”.")));
}

EspyDiagnosis *
espy_diagnose (const EspyDiagnosisInput *input)
{
  EspyDiagnosis *d;
  const Cause *cause;

  g_return_val_if_fail (input != NULL, NULL);

  cause = find_cause (pick_cause (input));
  d = g_new0 (EspyDiagnosis, 1);
  g_atomic_ref_count_init (&d->ref_count);
  d->cause = g_strdup (cause->id);
  d->title = g_strdup (_(cause->title));
  d->explanation = g_strdup (_(cause->explanation));
  d->steps = g_ptr_array_new_with_free_func (step_free);
  d->findings = g_ptr_array_new_with_free_func (g_free);
  d->generic = g_str_equal (cause->id, "unknown");
  for (guint i = 0; i < MAX_STEPS && cause->steps[i].text != NULL; i++)
    add_step (d, _(cause->steps[i].text), cause->steps[i].action);
  add_context (d, input);
  /* Already connecting by address: that advice would go round in circles. */
  if (input->host != NULL && g_hostname_is_ip_address (input->host))
    for (guint i = d->steps->len; i > 0; i--)
      if (((EspyDiagnosisStep *) g_ptr_array_index (d->steps, i - 1))->action == ESPY_DIAGNOSIS_ACTION_USE_ADDRESS)
        g_ptr_array_remove_index (d->steps, i - 1);
  return d;
}

EspyDiagnosis *
espy_diagnosis_ref (EspyDiagnosis *diagnosis)
{
  g_return_val_if_fail (diagnosis != NULL, NULL);
  g_atomic_ref_count_inc (&diagnosis->ref_count);
  return diagnosis;
}

void
espy_diagnosis_unref (EspyDiagnosis *diagnosis)
{
  g_return_if_fail (diagnosis != NULL);
  if (!g_atomic_ref_count_dec (&diagnosis->ref_count))
    return;
  g_free (diagnosis->cause);
  g_free (diagnosis->title);
  g_free (diagnosis->explanation);
  g_ptr_array_unref (diagnosis->steps);
  g_ptr_array_unref (diagnosis->findings);
  g_free (diagnosis);
}
