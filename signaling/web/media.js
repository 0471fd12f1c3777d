// media.js - camera and microphone: asked for only when the user presses
// the button, physical cameras preferred over virtual ones, and errors in
// plain words.

// Progressive quality: the sending side starts at the first level and moves
// along this ladder (quality.js decides when).  The camera is opened at its
// best (up to 1080p at 30 fps) and the encoder is told what to send
// (RTCRtpSender.setParameters: scaleResolutionDownBy, maxFramerate,
// maxBitrate): browsers do not reopen a camera for a larger size once a
// track was constrained down, the encoder limits work everywhere.
export const LEVELS = [
  { name: '240p', height: 240, fps: 15, maxBitrate: 300000 },
  { name: '480p', height: 480, fps: 15, maxBitrate: 1000000 },
  { name: '720p', height: 720, fps: 30, maxBitrate: 2000000 },
  { name: '1080p', height: 1080, fps: 30, maxBitrate: 4000000 },
];
export const START_LEVEL = 1;   // 480p at 15 fps
const CAPTURE = { width: { ideal: 1920 }, height: { ideal: 1080 }, frameRate: { ideal: 30 } };

// Names that virtual cameras (screen grabbers, phone bridges, effects
// filters, loopback devices) give themselves.
const VIRTUAL = /virtual|obs|snap ?camera|manycam|xsplit|droidcam|epoccam|\bndi\b|loopback|v4l2 ?loopback|dummy|fake|camo|mmhmm|iriun|splitcam|youcam|chromacam|vcam|e2esoft|screen/i;

export function isVirtual(label) {
  return VIRTUAL.test(label || '');
}

// Cameras, physical first (the order of the browser otherwise kept).
export function rankCameras(devices) {
  const cams = devices.filter((d) => d.kind === 'videoinput');
  return cams.filter((d) => !isVirtual(d.label)).concat(cams.filter((d) => isVirtual(d.label)));
}

export function videoConstraints(deviceId) {
  return deviceId ? { ...CAPTURE, deviceId: { exact: deviceId } } : { ...CAPTURE };
}

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

function audioConstraints(deviceId) {
  return deviceId ? { ...AUDIO, deviceId: { exact: deviceId } } : AUDIO;
}

// Plain words for getUserMedia's errors.
export function mediaErrorText(err) {
  const name = err && err.name;
  switch (name) {
  case 'NotAllowedError':
  case 'PermissionDeniedError':
    return 'You did not allow the camera and microphone. To use video chat, allow them for this site ' +
      '(the camera icon in the address bar), then press the button again. You can also continue without a camera: ' +
      'you will still see and hear your partner and can chat.';
  case 'NotFoundError':
  case 'DevicesNotFoundError':
    return 'No camera or microphone was found. Plug one in and try again, or continue without a camera.';
  case 'NotReadableError':
  case 'TrackStartError':
    return 'Your camera or microphone is in use by another program, or could not be started. ' +
      'Close the other program and try again.';
  case 'OverconstrainedError':
    return 'The selected camera cannot be used. Choose another one in Settings.';
  case 'SecurityError':
  case 'NoSecureContext':
    return 'Camera access needs a secure connection. Open this site with https://.';
  case 'AbortError':
    return 'Starting the camera was interrupted. Please try again.';
  default:
    return 'The camera and microphone could not be started (' + (name || 'unknown error') + '). Please try again.';
  }
}

export class Media {
  constructor() {
    this.stream = null;
    this.cameras = [];
    this.mics = [];
    this.cameraId = null;
    this.micId = null;
  }

  static available() {
    return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  // Asks for camera and microphone; falls back to one of them when the
  // other is missing.  Throws the browser's error when nothing works.
  async start() {
    if (!Media.available()) {
      const e = new Error('no secure context');
      e.name = 'NoSecureContext';
      throw e;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(), audio: AUDIO });
    } catch (err) {
      if (err.name !== 'NotFoundError' && err.name !== 'OverconstrainedError' && err.name !== 'NotReadableError') throw err;
      stream = await this.fallback(err);
    }
    this.stream = stream;
    await this.refreshDevices();
    // Prefer a physical camera when the browser picked a virtual one.
    const track = this.videoTrack();
    if (track) {
      const current = this.cameras.find((d) => d.label === track.label);
      const best = this.cameras[0];
      if (current && best && isVirtual(current.label) && !isVirtual(best.label)) {
        try {
          await this.useCamera(best.deviceId);
        } catch (e) {
          /* keep the virtual one */
        }
      } else if (current) {
        this.cameraId = current.deviceId;
      }
    }
    const at = this.audioTrack();
    if (at) {
      const m = this.mics.find((d) => d.label === at.label);
      if (m) this.micId = m.deviceId;
    }
    return stream;
  }

  async fallback(first) {
    for (const c of [{ video: true, audio: false }, { video: false, audio: AUDIO }]) {
      try {
        return await navigator.mediaDevices.getUserMedia(c);
      } catch (e) {
        /* try the next */
      }
    }
    throw first;
  }

  async refreshDevices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    this.cameras = rankCameras(all);
    this.mics = all.filter((d) => d.kind === 'audioinput');
  }

  videoTrack() {
    return this.stream ? this.stream.getVideoTracks()[0] || null : null;
  }

  audioTrack() {
    return this.stream ? this.stream.getAudioTracks()[0] || null : null;
  }

  // Switches camera; returns the new track (the caller replaces it in the call).
  async useCamera(deviceId) {
    const s = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(deviceId) });
    const track = s.getVideoTracks()[0];
    const old = this.videoTrack();
    if (old) {
      track.enabled = old.enabled;
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(track);
    this.cameraId = deviceId;
    return track;
  }

  async useMic(deviceId) {
    const s = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(deviceId) });
    const track = s.getAudioTracks()[0];
    const old = this.audioTrack();
    if (old) {
      track.enabled = old.enabled;
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(track);
    this.micId = deviceId;
    return track;
  }

  // Lines of the camera's picture (the encoder scales down from it).
  captureHeight() {
    const t = this.videoTrack();
    const h = t && t.getSettings().height;
    return h || 0;
  }

  stop() {
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
  }
}
