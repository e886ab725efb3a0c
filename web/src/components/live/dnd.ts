/** Drag-and-drop payload types of the live wall: a channel from the tree, or a pane moved onto another. */
export const CHANNEL_MIME = 'application/x-sharpeye-channel';
export const PANE_MIME = 'application/x-sharpeye-pane';
