"""The sound-effects taxonomy: labels from the folder and file names of the five Debian packages.

A rule is (regular expression over the file's path below the package's sound root, label,
caption). The first rule that matches (``re.fullmatch``) names the file; ``DROP`` drops it
(music, voice, interface sounds, science fiction effects); a file no rule matches is
dropped too and listed. Variants (take numbers, walk/run, small/large) merge into one
label; the caption keeps the detail (``{0}`` etc. are the pattern's groups). Labels are
phrases a user would type ("footsteps on gravel"), so that captions and labels share words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DROP = None
_N = r"[ _-]?\d*[a-z]?"  # a take number and letter: fs_grass3, swordhit_12b, foorstep (none)


@dataclass(frozen=True)
class Label:
    label: str
    caption: str


_MATERIAL = {"rock": "stone", "stone": "stone", "wood": "wood", "metal": "metal", "dirt": "dirt",
             "grass": "grass", "gravel": "gravel", "sand": "sand", "snow": "snow"}


def _footsteps(match: re.Match) -> Label:
    ground = _MATERIAL[match.group("ground").lower()]
    gait = (match.groupdict().get("gait") or "").lower()
    gait = {"running": "running", "run_": "running", "walking": "walking"}.get(gait, "")
    return Label(f"footsteps on {ground}", f"footsteps on {ground}" + (f", {gait}" if gait else ""))


def _hit(thing: str, caption: str):
    def make(match: re.Match) -> Label:
        material = _MATERIAL[match.group("material").lower()]
        return Label(f"{thing} hits {material}", caption.format(material=material))
    return make


# Rules per package: (pattern, label or DROP). A label is "label" or ("label", "caption").
_RULES: dict[str, list[tuple[str, object]]] = {
    "0ad-data": [  # paths below audio/ in public.zip
        (r"(music|voice|interface)/.*", DROP),
        (rf"actor/singlesteps/fs_(?P<ground>grass|gravel|rock|sand|snow|wood){_N}", _footsteps),
        (r"actor/human/movement/Footsteps/Foo[rt]step_(?P<ground>\w+?)_(?P<gait>Running|Walking)", _footsteps),
        (rf"actor/human/movement/hstep_(?P<gait>run_)?(?P<ground>dirt)_MN{_N}", _footsteps),
        (rf"actor/mounted/movement/mstep{_N}", ("horse hooves", "horse hooves trotting")),
        (r"actor/(fauna|mounted)/(animal|death)/(death_)?horse_\w+", ("horse neighs", "a horse neighs")),
        (rf"actor/fauna/animal/cattle{_N}", ("cow moos", "a cow moos")),
        (rf"actor/fauna/animal/chicken{_N}", ("chicken clucks", "a chicken clucks")),
        (r"actor/fauna/animal/elephant_\w+", ("elephant trumpets", "an elephant trumpets")),
        (r"actor/fauna/animal/lion_\w+", ("lion roars", "a lion roars")),
        (r"actor/fauna/animal/pig_\w+", ("pig grunts", "a pig grunts and squeals")),
        (rf"actor/fauna/animal/sheep{_N}", ("sheep bleats", "a sheep bleats")),
        (rf"actor/fauna/death/goat{_N}", ("goat bleats", "a goat bleats")),
        (r"actor/fauna/(animal|death|movement)/(death_)?camel_\d+", ("camel grunts", "a camel grunts")),
        (r"actor/gate/stonegate_(?P<way>open|close)_\d+", lambda m: Label(
            "heavy gate", f"a heavy gate {'opens' if m.group('way') == 'open' else 'closes'} with a rumble")),
        (rf"ambient/dayscape/day_temperate(_gen)?{_N}", ("birds in a forest", "daytime forest ambience, birds singing")),
        (rf"ambient/dayscape/day_tropical{_N}", ("jungle ambience", "tropical jungle ambience, birds and insects")),
        (r"ambient/water/river_(?P<speed>fast|med|raging|slow)_\d+", lambda m: Label(
            "river flowing", {"fast": "a fast river flowing", "med": "a river flowing",
                              "raging": "a raging river", "slow": "a slow river gently flowing"}[m.group("speed")])),
        (rf"ambient/water/waterfall{_N}", ("waterfall", "a waterfall")),
        (r"ambient/water/wave(crash|rocky)?_\d+", ("ocean waves", "ocean waves breaking on the shore")),
        (rf"ambient/weather/rain{_N}", ("rain", "rain falling")),
        (rf"ambient/weather/thunder{_N}", ("thunder", "thunder rumbles")),
        (rf"ambient/weather/windleaves{_N}", ("wind in the leaves", "wind rustling the leaves of trees")),
        (rf"ambient/weather/(wind|windgust|windstorm|snowstorm){_N}", ("wind blowing", "wind blowing")),
        (rf"ambient/building/amb_farm{_N}", ("farmyard ambience", "farmyard ambience with animals")),
        (rf"ambient/building/amb_port{_N}", ("harbour ambience", "harbour ambience, water and creaking boats")),
        (r"attack/destruction/building_collapse_large_\d+", ("building collapses", "a stone building collapses")),
        (r"attack/destruction/explode_debris_\d+", ("explosion", "an explosion with falling debris")),
        (r"attack/fire/\w+", ("fire burning", "a fire burning and crackling")),
        (r"attack/impact/arrow_(?P<material>dirt|metal|stone|wood)_\d+", _hit("arrow", "an arrow hits {material}")),
        (r"attack/impact/shield_(?P<material>metal|wood)_\d+",
         lambda m: Label(f"strike on a {m.group('material')} shield",
                         f"a weapon strikes a {'wooden' if m.group('material') == 'wood' else 'metal'} shield")),
        (r"attack/impact/sling_(?P<material>metal|stone|wood)_\d+", _hit("stone", "a thrown stone hits {material}")),
        (r"attack/impact/siegeprojectilehit_\d+", ("boulder crashes", "a heavy boulder crashes into a wall")),
        (r"attack/impact/flesh(imp|stab)_\d+", ("punch", "a punch hits a body")),
        (r"attack/siege/ballist(_rome)?_attack_\d+", ("ballista fires", "a ballista fires with a loud twang")),
        (r"attack/siege/onager_shooting_\d+", ("catapult fires", "a catapult fires")),
        (r"attack/siege/ram_attack", ("battering ram", "a battering ram hits a wooden gate")),
        (r"attack/siege/(onager_moving_\d+|ram_move)", ("wooden cart rolls", "a heavy wooden cart rolls")),
        (r"attack/weapon/Musket_\d+", ("gunshot", "a musket gunshot")),
        (r"attack/weapon/arrowfly_\d+", ("arrow whooshes", "an arrow whooshes past")),
        (r"attack/weapon/bow_attack_\d+", ("bow shoots", "a bow shoots an arrow")),
        (r"attack/weapon/sword_attack_\d+", ("sword swing", "a sword swings")),
        (rf"attack/weapon/swordhit{_N}", ("swords clash", "two metal swords clash")),
        (r"attack/weapon/sling_2\d+", ("sling whirls", "a sling whirls through the air")),
        (r"resource/construction/con_saw_\d+", ("saw cutting wood", "a hand saw cutting wood")),
        (r"resource/construction/con_stone_\d+", ("chisel on stone", "a chisel and mallet on stone")),
        (r"resource/construction/con_wood_\d+", ("hammering wood", "hammering on wood")),
        (r"resource/farming/hoe_\d+", ("hoe digging soil", "a hoe digging into soil")),
        (r"resource/foraging/leaves_\d+", ("rustling leaves", "rustling leaves and bushes")),
        (r"resource/gathering/gather_field_\d+", ("harvesting grain", "harvesting grain with a sickle")),
        (r"resource/lumbering/lumber_tree_\d+", ("axe chopping wood", "an axe chopping a tree")),
        (r"resource/lumbering/lumber_treeexpire_\d+", ("tree falls", "a tree falls and crashes to the ground")),
        (r"resource/mining/mine_metal_\d+", ("pickaxe on metal", "a pickaxe striking metal ore")),
        (r"resource/mining/mine_stone_\d+", ("pickaxe on stone", "a pickaxe striking stone")),
        (r".*", DROP),  # deaths (voice), ships, selection calls, gathering of fruit and meat
    ],
    "redeclipse-data": [  # paths below data/sounds/
        (r"(announcer|interface|music|voice)/.*|theme\w*|original", DROP),
        (r"ambience/(morph/)?(alien|blow|dizzy|hollow|waste|storm)?wind\d?", ("wind blowing", "wind blowing")),
        (r"ambience/cavedrip", ("water dripping", "water dripping in a cave")),
        (r"ambience/(creek|river)", ("river flowing", "a creek of water flowing")),
        (r"ambience/cycadas", ("cicadas", "cicadas chirping")),
        (r"ambience/nightcrickets", ("crickets", "crickets chirping at night")),
        (r"ambience/distant_cars", ("traffic", "distant traffic")),
        (r"ambience/(morph/)?door", ("door", "a door opens and shuts")),
        (r"ambience/fire", ("fire burning", "a fire burning and crackling")),
        (r"ambience/forest\d", ("birds in a forest", "forest ambience with birds")),
        (r"ambience/lava(rumble)?\d", ("low rumble", "a deep low rumble")),
        (r"ambience/(morph/)?machine\d+", ("machine hum", "a machine humming")),
        (r"ambience/(morph/)?(storm)?rain", ("rain", "rain falling")),
        (r"ambience/morph/stormbolts", ("thunder", "thunder and lightning in a storm")),
        (r"ambience/water", ("water", "water flowing")),
        (r"ambience/waterfall\w*", ("waterfall", "a waterfall")),
        (r"ambience/vapour", ("steam hiss", "steam hissing")),
        (r"player/concstep\d?", ("footsteps on concrete", "footsteps on concrete")),
        (r"player/footstep\d?", ("footsteps on concrete", "footsteps on a hard floor")),
        (r"player/swimstep\d?", ("swimming", "swimming strokes in water")),
        (r"player/land\d?", ("landing thud", "a body lands on the ground with a thud")),
        (r"sfx/bounce\d?", ("small object bounces", "a small metal object bounces")),
        (r"sfx/debris\d?", ("debris falls", "debris falls")),
        (r"sfx/extinguish\d?", ("fire hisses out", "a flame is put out with a hiss")),
        (r"sfx/shell\d?", ("metal tink", "a shell casing drops on the floor")),
        (r"sfx/(splashin|splashout|splosh)\d?", ("water splash", "a splash of water")),
        (r"sfx/underwater", ("underwater", "underwater ambience")),
        (r"sfx/(burnfire|burning)", ("fire burning", "a fire burning")),
        (r"weapons/(\w+/)?explode\d?", ("explosion", "an explosion")),
        (r"weapons/(pistol|rifle|shotgun|smg)/primary\d?", ("gunshot", "a gunshot")),
        (r"weapons/(\w+/)?reload", ("gun reload", "a gun is reloaded with a click")),
        (r"weapons/sword/(primary|secondary)", ("sword swing", "a sword swings")),
        (r"weapons/thud\d?", ("thud", "a dull thud")),
        (r"weapons/thwack\d?", ("punch", "a whack on a body")),
        (r"weapons/tink", ("metal tink", "a small metal tink")),
        (r"weapons/ricochet", ("ricochet", "a bullet ricochet")),
        (r".*", DROP),  # jump pads, teleports, energy weapons, damage and interface beeps
    ],
    "sonic-pi-samples": [  # paths below usr/share/sonic-pi/samples/
        (r"ambi_glass_(hum|rub)", ("glass hum", "a finger rubs the rim of a glass")),
        (r"(ambi_swoosh|perc_swoosh|perc_swash|ambi_dark_woosh)", ("whoosh", "a whoosh")),
        (r"misc_crow", ("crow caws", "a crow caws")),
        (r"perc_door", ("door", "a door creaks and shuts")),
        (r"perc_impact\d", ("heavy impact", "a heavy impact")),
        (r"misc_cineboom", ("heavy impact", "a deep cinematic boom")),
        (r"perc_snap\d?", ("finger snap", "a finger snap")),
        (r"perc_bell\d?", ("bell rings", "a bell rings")),
        (r"(bd_\w+|drum_bass_\w+|drum_heavy_kick)", ("bass drum", "a bass drum hit")),
        (r"(sn_\w+|drum_snare_\w+)", ("snare drum", "a snare drum hit")),
        (r"drum_(cymbal|splash)_\w+", ("cymbal", "a cymbal crash")),
        (r"drum_tom_\w+", ("tom drum", "a tom drum hit")),
        (r"drum_cowbell", ("cowbell", "a cowbell")),
        (r"tabla_\w+", ("tabla", "a tabla drum hit")),
        (r"vinyl_(scratch|backspin|rewind)", ("vinyl scratch", "a vinyl record scratch")),
        (r".*", DROP),  # music loops, synthesizer notes, instruments, voice
    ],
    "widelands-data": [  # paths below usr/share/games/widelands/data/sound/ (evaluation only)
        (r"animals/bird\d_\d+", ("birds in a forest", "birds chirping")),
        (r"animals/(coyote|wolf)_\d+", ("wolf howls", "a wolf howls")),
        (r"animals/crickets\d_\d+", ("crickets", "crickets chirping")),
        (r"animals/boar", ("pig grunts", "a wild boar grunts")),
        (r"farm/horse_\d+", ("horse neighs", "a horse neighs")),
        (r"farm/ox_\d+", ("cow moos", "an ox lows")),
        (r"farm/sheep_\d+", ("sheep bleats", "a sheep bleats")),
        (r"farm/donkey", ("donkey brays", "a donkey brays")),
        (r"hammering/hammering_\d+", ("hammering wood", "hammering")),
        (r"smiths/(smith|toolsmith)_\d+", ("hammer on an anvil", "a hammer on an anvil")),
        (r"metal/(iron|gold)ping", ("metal tink", "a ping of metal")),
        (r"metal/fizzle", ("fire hisses out", "hot metal fizzles in water")),
        (r"atlanteans/saw/sawing_\d+", ("saw cutting wood", "a hand saw cutting wood")),
        (r"(stonecutting/\w+|atlanteans/cutting/stonecutter_\d+)", ("chisel on stone", "a stonemason cutting stone")),
        (r"woodcutting/(fast_)?woodcutting(_\d+)?", ("axe chopping wood", "an axe chopping wood")),
        (r"woodcutting/tree_falling_\d+", ("tree falls", "a tree falls")),
        (r"empire/(beer|wine)bubble_\d+", ("liquid bubbling", "liquid bubbling")),
        (r"other/falling_tools_\d+", ("metal tools fall", "metal tools fall on the ground")),
        (r".*", DROP),
    ],
    "tuxpaint-stamps-default": [  # paths below usr/share/tuxpaint/stamps/ (evaluation only)
        (r"(symbols|hobbies|military|space|food)/.*|.*_desc(_\w+)?", DROP),
        (r"animals/mammals/dogs/dog", ("dog barks", None)),
        (r"animals/birds/crow", ("crow caws", None)),
        (r"animals/birds/(hen|rooster)", ("chicken clucks", None)),
        (r"animals/mammals/bovines/(cow|cow_white|bull|bison)", ("cow moos", None)),
        (r"animals/mammals/bovines/(sheep|sheep_lamb|ram)", ("sheep bleats", None)),
        (r"animals/mammals/bovines/(goat|mountaingoat)", ("goat bleats", None)),
        (r"animals/mammals/equines/horse", ("horse neighs", None)),
        (r"animals/mammals/equines/donkey", ("donkey brays", None)),
        (r"animals/mammals/pig\w*", ("pig grunts", None)),
        (r"animals/mammals/cats/(lion|tiger)", ("lion roars", None)),
        (r"animals/mammals/elephant", ("elephant trumpets", None)),
        (r"animals/mammals/camel/(camel|dromedary)", ("camel grunts", None)),
        (r"animals/insects/grasshopper", ("crickets", None)),
        (r"household/dishes/(glass|bottle)", ("glass clinks", None)),
        (r"household/tools/(hammer|mallet_metal)", ("hammering wood", None)),
        (r"household/tools/saw", ("saw cutting wood", None)),
        (r"naturalforces/lightningbolt", ("thunder", None)),
        (r"seasonal/newyears/fireworks", ("explosion", None)),
        (r".*", DROP),
    ],
}
_COMPILED = {pkg: [(re.compile(p), rule) for p, rule in rules] for pkg, rules in _RULES.items()}


def label_of(package: str, path: str, description: str | None = None) -> Label | None:
    """The label and caption of a file, ``path`` relative to the package's sound root
    without its extension; ``None`` when the file is dropped. ``description`` (tuxpaint's
    one-line text) becomes the caption where the rule gives none."""
    for pattern, rule in _COMPILED[package]:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        if rule is DROP:
            return None
        if callable(rule):
            return rule(match)
        label, caption = rule
        text = (description or label).strip().rstrip(".")
        return Label(label, caption or text[:1].lower() + text[1:])
    return None


def packages() -> list[str]:
    return list(_RULES)
