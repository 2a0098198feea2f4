//! The resting process's tray icon: a StatusNotifierItem over D-Bus (what the app's
//! tray is on Linux too, through libappindicator), with the app's menu and icon, the
//! sources' state as its tooltip and a dot while a notification waits unread.

use ksni::blocking::TrayMethods;
use ksni::menu::StandardItem;

/// A tray menu entry chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrayAction {
    Search,
    Briefing,
    Sync,
    Settings,
    Quit,
}

pub struct ChiefTray {
    /// How each source is doing (the tooltip).
    pub status: String,
    /// A notification waits unread (a dot on the icon).
    pub unread: bool,
    /// A sync from the menu runs (its entry says so and is off).
    pub syncing: bool,
    icon: Option<(Vec<u8>, u32, u32)>,
    on_action: Box<dyn Fn(TrayAction) + Send>,
}

/// The app's 32×32 icon as RGBA.
fn app_icon() -> Option<(Vec<u8>, u32, u32)> {
    let decoder = png::Decoder::new(&include_bytes!("../../../icons/32x32.png")[..]);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).ok()?;
    (frame.color_type == png::ColorType::Rgba && frame.bit_depth == png::BitDepth::Eight)
        .then(|| (buf[..frame.buffer_size()].to_vec(), frame.width, frame.height))
}

/// RGBA pixels as the ARGB32 (network byte order) a StatusNotifierItem carries.
fn argb(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4).flat_map(|p| [p[3], p[0], p[1], p[2]]).collect()
}

impl ChiefTray {
    /// Puts the icon on the session bus; a tray that shows none yet (no tray host, as
    /// under a bare X server) keeps waiting for one.
    pub fn spawn(on_action: Box<dyn Fn(TrayAction) + Send>) -> Result<ksni::blocking::Handle<ChiefTray>, ksni::Error> {
        let tray = ChiefTray { status: "Chief".into(), unread: false, syncing: false, icon: app_icon(), on_action };
        tray.assume_sni_available(true).spawn()
    }

    fn item(&self, label: &str, action: TrayAction, enabled: bool) -> ksni::MenuItem<Self> {
        StandardItem {
            label: label.into(),
            enabled,
            activate: Box::new(move |t: &mut Self| (t.on_action)(action)),
            ..Default::default()
        }
        .into()
    }
}

impl ksni::Tray for ChiefTray {
    fn id(&self) -> String {
        "chief".into()
    }

    fn title(&self) -> String {
        "Chief".into()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        let Some((rgba, w, h)) = &self.icon else { return vec![] };
        let pixels = if self.unread { chief_desktop::work::with_dot(rgba, *w, *h) } else { rgba.clone() };
        vec![ksni::Icon { width: *w as i32, height: *h as i32, data: argb(&pixels) }]
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip { title: "Chief".into(), description: self.status.clone(), ..Default::default() }
    }

    /// A click on the icon opens the popup, as the menu's Search does.
    fn activate(&mut self, _x: i32, _y: i32) {
        (self.on_action)(TrayAction::Search);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        vec![
            self.item("Search", TrayAction::Search, true),
            self.item("Today's briefing", TrayAction::Briefing, true),
            if self.syncing {
                self.item("Syncing…", TrayAction::Sync, false)
            } else {
                self.item("Sync now", TrayAction::Sync, true)
            },
            self.item("Settings…", TrayAction::Settings, true),
            self.item("Quit Chief", TrayAction::Quit, true),
        ]
    }

    /// No tray host (yet): keep the item, one may come.
    fn watcher_offline(&self, _reason: ksni::OfflineReason) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_the_apps_in_argb() {
        let (rgba, w, h) = app_icon().expect("icons/32x32.png decodes as RGBA");
        assert_eq!((w, h, rgba.len()), (32, 32, 32 * 32 * 4));
        assert_eq!(argb(&[1, 2, 3, 4, 5, 6, 7, 8]), vec![4, 1, 2, 3, 8, 5, 6, 7]);
    }
}
