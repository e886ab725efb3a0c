/**
 * GB/T 28181 Appendix D IDs of simulated devices: prefix (centre 8 + industry 2) + type 3 + network 1 + serial 6.
 * A device is an IPC (132) when it has one channel, an NVR (118) otherwise. Its channels are cameras (131) under an
 * IPC and IPCs (132) under an NVR; channel serials are derived from the device serial, so a channel ID maps back to
 * its device without a table: channel serial = (device serial − 1) × M + j + 1.
 */
export class IdPlan {
  readonly deviceType: string;
  readonly channelType: string;

  constructor(
    readonly prefix: string,
    readonly channelsPerDevice: number,
    readonly firstSerial: number,
    readonly count: number,
  ) {
    this.deviceType = channelsPerDevice > 1 ? '118' : '132';
    this.channelType = channelsPerDevice > 1 ? '132' : '131';
  }

  deviceId(index: number): string {
    return `${this.prefix}${this.deviceType}0${String(this.firstSerial + index).padStart(6, '0')}`;
  }

  channelId(index: number, j: number): string {
    const serial = (this.firstSerial + index - 1) * this.channelsPerDevice + j + 1;
    return `${this.prefix}${this.channelType}0${String(serial).padStart(6, '0')}`;
  }

  /** Device index of a device or channel ID of this plan, or -1. */
  indexOf(id: string | undefined): number {
    if (!id || id.length !== 20 || !id.startsWith(this.prefix) || id[13] !== '0') return -1;
    const type = id.slice(10, 13);
    const serial = Number(id.slice(14));
    if (!Number.isInteger(serial)) return -1;
    let index = -1;
    if (type === this.deviceType) index = serial - this.firstSerial;
    else if (type === this.channelType && serial >= 1) index = Math.floor((serial - 1) / this.channelsPerDevice) + 1 - this.firstSerial;
    return index >= 0 && index < this.count ? index : -1;
  }

  /** Channel number (0-based) of a channel ID of the device at `index`, or -1. */
  channelIndexOf(index: number, id: string): number {
    if (id.slice(10, 13) !== this.channelType) return -1;
    const j = Number(id.slice(14)) - 1 - (this.firstSerial + index - 1) * this.channelsPerDevice;
    return j >= 0 && j < this.channelsPerDevice ? j : -1;
  }
}
