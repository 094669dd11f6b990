"""The lobby kiosk (自助机): a touch screen with a scanner where patients check themselves in."""
