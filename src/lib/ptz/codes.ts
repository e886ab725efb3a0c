/** Instruction bytes of GB/T 28181-2016 §A.3.2–§A.3.7. */

// §A.3.2 PTZ bits (byte 4, 00H–3FH).
export const BIT_RIGHT = 0x01;
export const BIT_LEFT = 0x02;
export const BIT_DOWN = 0x04;
export const BIT_UP = 0x08;
export const BIT_ZOOM_IN = 0x10; // 放大 (tele)
export const BIT_ZOOM_OUT = 0x20; // 缩小 (wide)

// §A.3.3 FI bits (byte 4 = 0100xxxxB).
export const FI_BASE = 0x40;
export const BIT_FOCUS_FAR = 0x01;
export const BIT_FOCUS_NEAR = 0x02;
export const BIT_IRIS_OPEN = 0x04; // 光圈放大
export const BIT_IRIS_CLOSE = 0x08; // 光圈缩小

// §A.3.4 presets.
export const PRESET_SET = 0x81;
export const PRESET_CALL = 0x82;
export const PRESET_DELETE = 0x83;

// §A.3.5 cruise.
export const CRUISE_ADD = 0x84;
export const CRUISE_DELETE = 0x85;
export const CRUISE_SPEED = 0x86;
export const CRUISE_DWELL = 0x87;
export const CRUISE_START = 0x88;

// §A.3.6 scan.
export const SCAN = 0x89;
export const SCAN_SPEED = 0x8a;
export const SCAN_START = 0x00;
export const SCAN_LEFT = 0x01;
export const SCAN_RIGHT = 0x02;

// §A.3.7 auxiliary switch.
export const AUX_ON = 0x8c;
export const AUX_OFF = 0x8d;
