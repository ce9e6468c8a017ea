; Inno Setup script: Creator Studio's Windows installer around PyInstaller's folder.
;
; On a Windows build machine (see docs/packaging.md, "Windows"):
;   py -m pip install -e .[package]
;   pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\creator-studio.spec
;   dist\creator-studio\creator-studio.exe --self-test
;   iscc /DAppVersion=0.1.0 packaging\windows\installer.iss      -> dist\CreatorStudio-0.1.0-setup.exe
; then sign the installer (signtool, below). The installer is per-user by default (no admin
; prompt); the dialog offers an all-users install.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Creator Studio"
#define AppExe "creator-studio.exe"
#define SourceDir "..\..\dist\creator-studio"

[Setup]
; the AppId must never change between versions: upgrades and the uninstaller find the app by it
AppId={{6C1F2B0E-5A57-4B8E-9F3A-2D4C7E1A9B10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Creator Studio developers
AppPublisherURL=https://github.com/creator-studio/creator-studio
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir=..\..\dist
OutputBaseFilename=CreatorStudio-{#AppVersion}-setup
SetupIconFile=creator-studio.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Sign the installer and the uninstaller as they are written (define the tool "signtool" in the
; Inno Setup IDE or pass /S"signtool=signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a $f").
#ifdef Sign
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; the whole one-folder app; the executable and DLLs were signed before this step
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "gui"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "gui"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "gui"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; PyInstaller's folder only; the creator's drafts live in %LOCALAPPDATA%\creator-studio and stay
Type: filesandordirs; Name: "{app}\_internal"
