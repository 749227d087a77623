// lumbo case: a two-part box with a belt clip, sized from the parts it holds.
//
//   openscad -o case.stl hardware/enclosure/lumbo_case.scad                      both parts, laid out to print
//   openscad -D 'build="devkit"' -D 'part="base"' -o base.stl lumbo_case.scad    one part of the cheapest build
//
// All lengths in millimetres. The base holds the battery flat against the body side, the IMU breakout on top
// of it and the ESP32 board beside the IMU, with its USB-C socket facing one short end. The lid snaps on with
// a lip. The belt clip is a springy tongue on the back of the base, joined at the top only, so it slides over
// a belt or waistband from above.

build = "xiao";      // "xiao": XIAO ESP32-S3 + LSM6DSOX + 400 mAh cell; "devkit": ESP32-DevKitC + GY-521 + TP4056
part = "all";        // "base", "lid" or "all" (both, side by side, as printed)

wall_mm = 1.8;
floor_mm = 1.6;
clearance_mm = 0.4;  // around every part, for printing tolerance
corner_r_mm = 3;
lid_mm = 1.6;
lip_mm = 2.0;        // height of the lid's locating lip

belt_width_mm = 40;  // widest belt the clip takes
belt_gap_mm = 4.0;   // belt thickness the clip closes on
clip_mm = 2.2;       // clip tongue thickness (PETG or PLA at 2.2 mm springs without cracking)
clip_flare_mm = 1.5; // the tongue's free end bends away from the case by this much to guide the belt in

usb_w_mm = 10;       // USB-C receptacle opening
usb_h_mm = 4.5;
button_d_mm = 5;     // hole over the 6 mm tactile button

// Part sizes [length, width, height]: data sheets and measured boards.
xiao_board = [21.0, 17.8, 4.5];      // Seeed XIAO ESP32-S3, with the USB-C socket
dsox_board = [25.4, 17.8, 4.6];      // Adafruit 4438 with its STEMMA QT sockets
cell_400 = [36.0, 20.0, 6.0];        // 400 mAh pouch cell with its protection board
devkit_board = [54.4, 27.9, 8.0];    // ESP32-DevKitC V4 without header pins
gy521_board = [21.0, 16.0, 3.5];
tp4056_board = [26.0, 17.0, 4.5];
cell_503035 = [35.0, 30.0, 5.0];

function boards_len(b) = b == "xiao" ? xiao_board[0] + dsox_board[0] + 2 : devkit_board[0];
function inner(b) =
    b == "xiao"
        ? [max(boards_len(b), cell_400[0]), max(xiao_board[1], dsox_board[1], cell_400[1]),
           cell_400[2] + max(xiao_board[2], dsox_board[2]) + 1]
        : [max(devkit_board[0], cell_503035[0] + tp4056_board[0] + 2),
           max(devkit_board[1], cell_503035[1], gy521_board[1] + tp4056_board[1]),
           cell_503035[2] + devkit_board[2] + gy521_board[2] + 1];

in_size = inner(build) + [2 * clearance_mm, 2 * clearance_mm, clearance_mm];
out_size = [in_size[0] + 2 * wall_mm, in_size[1] + 2 * wall_mm, in_size[2] + floor_mm];

$fn = 32;

module rounded_box(size, r) {
    hull()
        for (x = [r, size[0] - r], y = [r, size[1] - r])
            translate([x, y, 0]) cylinder(r = r, h = size[2]);
}

module base() {
    difference() {
        rounded_box(out_size, corner_r_mm);
        translate([wall_mm, wall_mm, floor_mm])
            rounded_box([in_size[0], in_size[1], in_size[2] + 1], max(corner_r_mm - wall_mm, 0.5));
        // USB-C socket at the x = 0 end, level with the board above the cell.
        translate([-1, out_size[1] / 2 - usb_w_mm / 2, out_size[2] - usb_h_mm - 1.5])
            cube([wall_mm + 2, usb_w_mm, usb_h_mm]);
    }
    belt_clip();
}

// A tongue joined to the back (z = 0 face) at the top end only; its free end flares out to guide the belt in.
module belt_clip() {
    clip_len = out_size[0] - 4;
    clip_w = min(out_size[1] - 2, belt_width_mm);
    translate([out_size[0] - 2 - 6, (out_size[1] - clip_w) / 2, -belt_gap_mm - clip_mm])
        cube([6, clip_w, belt_gap_mm + clip_mm + 0.01]);  // the hinge block
    translate([2, (out_size[1] - clip_w) / 2, -belt_gap_mm - clip_mm])
        cube([clip_len, clip_w, clip_mm]);                  // the tongue
    hull() {                                                                 // the lead-in
        translate([4, (out_size[1] - clip_w) / 2, -belt_gap_mm - clip_mm]) cube([0.1, clip_w, clip_mm]);
        translate([0, (out_size[1] - clip_w) / 2, -belt_gap_mm - clip_mm - clip_flare_mm])
            cube([0.1, clip_w, clip_mm]);
    }
    // A bump near the free end that holds the belt once it is in.
    translate([8, (out_size[1] - clip_w) / 2, -belt_gap_mm])
        rotate([-90, 0, 0]) cylinder(r = 0.8, h = clip_w);
}

module lid() {
    difference() {
        union() {
            rounded_box([out_size[0], out_size[1], lid_mm], corner_r_mm);
            translate([wall_mm + clearance_mm / 2, wall_mm + clearance_mm / 2, lid_mm])
                difference() {
                    rounded_box([in_size[0] - clearance_mm, in_size[1] - clearance_mm, lip_mm],
                                max(corner_r_mm - wall_mm, 0.5));
                    translate([1.2, 1.2, -1])
                        rounded_box([in_size[0] - clearance_mm - 2.4, in_size[1] - clearance_mm - 2.4, lip_mm + 2],
                                    max(corner_r_mm - wall_mm - 1.2, 0.5));
                }
        }
        // Button hole over SW1, at the far end from the USB socket.
        translate([out_size[0] - wall_mm - 6, out_size[1] / 2, -1]) cylinder(d = button_d_mm, h = lid_mm + 2);
    }
}

if (part == "base") base();
else if (part == "lid") lid();
else {
    base();
    translate([0, out_size[1] + 8, 0]) lid();
}

echo(str("lumbo case outside size (mm): ", out_size, ", clip gap ", belt_gap_mm, ", clip ", clip_mm,
         ", flare ", clip_flare_mm));
